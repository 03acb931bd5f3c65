/**
 * Packages that only some commands need (the benchmark's competitors, its
 * load generator, its chart renderer) may not be installed: a consumer who
 * installs zaccel to compress gets none of them. A command checks what it
 * needs before it starts, and says what to install instead of failing
 * halfway with a module-resolution stack.
 */

export interface PackageNeed {
  /** Package names, as npm installs them. */
  packages: string[];
  /** What needs them, for the message: "the charts of --out". */
  purpose: string;
}

/** Not a ZACCEL_* condition of the library: the environment lacks a package, and the message says which. */
export class MissingPackagesError extends Error {
  override readonly name = 'MissingPackagesError';
  constructor(
    readonly command: string,
    readonly missing: PackageNeed[],
  ) {
    const names = [...new Set(missing.flatMap((need) => need.packages))];
    const uses = missing.map((need) => `${need.packages.join(', ')} (${need.purpose})`).join('; ');
    super(
      `${command} needs packages that are not installed: ${uses}. Install them with: npm install ${names.join(' ')}`,
    );
  }
}

/** Resolves as this package's own modules would; throws when the package is not installed. */
const resolvePackage = (name: string): string => import.meta.resolve(name);

function installed(name: string): boolean {
  try {
    resolvePackage(name);
    return true;
  } catch {
    return false;
  }
}

/** Throw a MissingPackagesError listing every package missing for every need, or return. */
export function requirePackages(command: string, needs: PackageNeed[]): void {
  const missing = needs
    .map((need) => ({ ...need, packages: need.packages.filter((name) => !installed(name)) }))
    .filter((need) => need.packages.length > 0);
  if (missing.length > 0) throw new MissingPackagesError(command, missing);
}

/**
 * Import a module that uses optional packages. If a package the needs did not
 * name is missing after all, the error still says which one to install.
 */
export async function importWithPackages<T>(command: string, purpose: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const match = /Cannot find package '([^']+)'/.exec((error as Error).message ?? '');
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && match !== null) {
      throw new MissingPackagesError(command, [{ packages: [match[1]], purpose }]);
    }
    throw error;
  }
}
