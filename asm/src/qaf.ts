// DFLTCC-QAF (function code 0): store the 32-byte query block.

import {
  CC_OK,
  QAF_BLOCK_SIZE,
  QAF_FORMATS,
  QAF_FORMATS_BYTE0,
  QAF_FUNCTIONS,
  QAF_FUNCTIONS_BYTE0,
} from "./param-block";

/** Installed functions 0, 1, 2, 4 and parameter-block format 0; everything else reads as 0. */
export function queryAvailableFunctions(pb: usize): i32 {
  memory.fill(pb, 0, QAF_BLOCK_SIZE);
  store<u8>(pb + QAF_FUNCTIONS, QAF_FUNCTIONS_BYTE0);
  store<u8>(pb + QAF_FORMATS, QAF_FORMATS_BYTE0);
  return CC_OK;
}
