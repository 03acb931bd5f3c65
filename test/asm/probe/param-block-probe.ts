// Test-only AssemblyScript entry: exposes the parameter-block accessors of asm/src/param-block.ts so
// tests can check every field's offset and bit mask byte by byte. Built by test/asm/build.ts into
// asm/build/param-block-probe.wasm (never part of the emulator).

import {
  CDHT, CDHT_SIZE, CSB, MVN, PBVN, RIBM, setBCC, setBCF, setBHF, setCDHTL, setCF, setCVBigEndian,
  setCVT, setEOBL, setEOBS, setHL, setHO, setHTT, setIFL, setIFS, setNT, setOESC, setSBB, setFlag,
  DHTGC_BYTE, DHTGC_MASK, storeBigEndian16, getHL, getHO, getSBB, getCDHTL, getEOBS, getEOBL,
  getNT, getCVT, getHTT, getBCF, getBCC, getBHF, getCF, getOESC, getIFS, getIFL, getCVBigEndian,
  getDHTGC, PARAM_BLOCK_SIZE,
} from "../../../asm/src/param-block";

/** Set field `id` of the block at `pb` to `value` using the emulator's own accessors. */
export function setField(pb: usize, id: i32, value: u32): void {
  switch (id) {
    case 0: storeBigEndian16(pb + PBVN, value); break;
    case 1: store<u8>(pb + MVN, <u8>value); break;
    case 2: store<u8>(pb + RIBM, <u8>value); break;
    case 3: setCF(pb, value != 0); break;
    case 4: setNT(pb, value != 0); break;
    case 5: setCVT(pb, value != 0); break;
    case 6: setHTT(pb, value != 0); break;
    case 7: setBCF(pb, value != 0); break;
    case 8: setBCC(pb, value != 0); break;
    case 9: setBHF(pb, value != 0); break;
    case 10: setFlag(pb, DHTGC_BYTE, DHTGC_MASK, value != 0); break;
    case 11: setSBB(pb, value); break;
    case 12: setOESC(pb, value); break;
    case 13: setIFS(pb, value); break;
    case 14: setIFL(pb, value); break;
    case 15: setHL(pb, value); break;
    case 16: setHO(pb, value); break;
    case 17: setCVBigEndian(pb, value); break;
    case 18: setEOBS(pb, value); break;
    case 19: setEOBL(pb, value); break;
    case 20: setCDHTL(pb, value); break;
    case 21: store<u8>(pb + CDHT, <u8>value); break;
    case 22: store<u8>(pb + CDHT + CDHT_SIZE - 1, <u8>value); break;
    case 23: store<u8>(pb + CSB, <u8>value); break;
    case 24: store<u8>(pb + PARAM_BLOCK_SIZE - 1, <u8>value); break;
  }
}

/** Read field `id` back with the emulator's getters (ids as in setField; 0-2, 21-24 unsupported). */
export function getField(pb: usize, id: i32): u32 {
  switch (id) {
    case 3: return getCF(pb) ? 1 : 0;
    case 4: return getNT(pb) ? 1 : 0;
    case 5: return getCVT(pb) ? 1 : 0;
    case 6: return getHTT(pb) ? 1 : 0;
    case 7: return getBCF(pb) ? 1 : 0;
    case 8: return getBCC(pb) ? 1 : 0;
    case 9: return getBHF(pb) ? 1 : 0;
    case 10: return getDHTGC(pb) ? 1 : 0;
    case 11: return getSBB(pb);
    case 12: return getOESC(pb);
    case 13: return getIFS(pb);
    case 14: return getIFL(pb);
    case 15: return getHL(pb);
    case 16: return getHO(pb);
    case 17: return getCVBigEndian(pb);
    case 18: return getEOBS(pb);
    case 19: return getEOBL(pb);
    case 20: return getCDHTL(pb);
  }
  return 0xffffffff;
}
