// The page's image import before any pixel is decoded: which files are images of which class, what
// is skipped and why, and the sizes a file's header declares (so a 20,000 x 20,000 image is refused
// before the browser tries to decode 1.6 GB of pixels). Class and file order follow the CLI's
// (sorted names), so a folder imported here splits exactly as `npm run build:data -- folder` splits it.
import { MAX_CLASSES, packageName } from './folder';

/** A file as the page sees it: its path below what was dropped or picked ("shapes/red/001.png"). */
export interface ImportEntry {
  path: string;
  bytes: number;
}

export interface ImportClass {
  name: string;
  /** Indices into the entries, sorted by file name. */
  files: number[];
}

export interface ImportPlan {
  title: string;
  classes: ImportClass[];
  images: number;
  /** Files left out, each with why (hidden files are left out silently). */
  skipped: { path: string; reason: string }[];
  /** Worth knowing, not blocking (tiny classes). */
  warnings: string[];
  /** Why this cannot be imported; null when it can. */
  error: string | null;
}

/** Extensions the browser decodes; the content is checked again when decoding (imageHeader). */
export const IMAGE_EXTENSION = /\.(png|jpe?g|webp)$/i;
/** A class with fewer images than this gets a warning: too few to learn from and to test on. */
export const MIN_CLASS_IMAGES = 5;

/**
 * Groups files into classes. A file's class is its folder's name (`root/<class>/<file>`, or
 * `<class>/<file>` when class folders were dropped themselves); files dropped loose are labelled by
 * their name up to the first `_` or `-` (`cat_001.png` -> cat), as Oxford-IIIT Pets names its files.
 */
export function planImport(entries: ImportEntry[]): ImportPlan {
  const skipped: ImportPlan['skipped'] = [];
  const byClass = new Map<string, number[]>();
  const roots = new Set<string>();
  entries.forEach((e, i) => {
    const parts = e.path.split('/').filter(Boolean);
    const name = parts[parts.length - 1] ?? '';
    if (parts.some((p) => p.startsWith('.'))) return; // .DS_Store, .git/…
    if (!IMAGE_EXTENSION.test(name)) return void skipped.push({ path: e.path, reason: 'not a .png, .jpg, .jpeg or .webp file' });
    if (e.bytes === 0) return void skipped.push({ path: e.path, reason: 'empty file' });
    let cls: string;
    if (parts.length >= 3) {
      roots.add(parts[0]);
      cls = parts[parts.length - 2];
    } else if (parts.length === 2) {
      cls = parts[0];
    } else {
      cls = name.replace(IMAGE_EXTENSION, '').split(/[_-]/)[0] || name;
    }
    byClass.set(cls, [...(byClass.get(cls) ?? []), i]);
  });
  const base = (i: number) => entries[i].path.slice(entries[i].path.lastIndexOf('/') + 1);
  // JavaScript's default sort, as the CLI's readdirSync(...).sort(): by UTF-16 code units.
  const classes = [...byClass.keys()].sort().map((name) => ({ name, files: byClass.get(name)!.sort((a, b) => (base(a) < base(b) ? -1 : base(a) > base(b) ? 1 : 0)) }));
  const images = classes.reduce((n, c) => n + c.files.length, 0);
  const title = roots.size === 1 ? [...roots][0] : 'images';
  const warnings = classes.filter((c) => c.files.length < MIN_CLASS_IMAGES).map((c) => `class "${c.name}" has only ${c.files.length} image${c.files.length === 1 ? '' : 's'}: too few to learn from and to test on (${MIN_CLASS_IMAGES} at least is better)`);
  let error: string | null = null;
  if (images === 0) error = entries.length === 0 ? 'the folder is empty' : `no images among the ${entries.length} files (PNG, JPEG or WebP, in class subfolders)`;
  else if (classes.length === 1) error = `only one class ("${classes[0].name}"): a classifier needs two at least; put each class's images in a subfolder named for it`;
  else if (classes.length > MAX_CLASSES) error = `${classes.length} classes; at most ${MAX_CLASSES} are supported`;
  return { title, classes, images, skipped, warnings, error };
}

/** Images larger than this many pixels are refused before decoding (a 48-megapixel photo passes). */
export const MAX_IMAGE_PIXELS = 50_000_000;

export interface ImageHeader {
  format: 'png' | 'jpeg' | 'webp';
  width: number;
  height: number;
}

/** The format and size a file's first bytes declare; null when it is not a PNG, JPEG or WebP file. */
export function imageHeader(b: Uint8Array): ImageHeader | null {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ascii = (o: number, n: number) => String.fromCharCode(...b.subarray(o, o + n));
  if (b.length >= 24 && b[0] === 0x89 && ascii(1, 3) === 'PNG' && ascii(12, 4) === 'IHDR') return { format: 'png', width: v.getUint32(16), height: v.getUint32(20) };
  if (b.length >= 32 && ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') {
    const chunk = ascii(12, 4);
    if (chunk === 'VP8 ') return { format: 'webp', width: v.getUint16(26, true) & 0x3fff, height: v.getUint16(28, true) & 0x3fff };
    if (chunk === 'VP8L') {
      const bits = v.getUint32(21, true);
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8X') return { format: 'webp', width: (v.getUint32(24, true) & 0xffffff) + 1, height: (v.getUint32(27, true) & 0xffffff) + 1 };
    return null;
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    // Walk the markers to the first start-of-frame (SOF0..SOF15 but DHT, JPG and DAC), which holds the size.
    for (let o = 2; o + 9 < b.length; ) {
      if (b[o] !== 0xff) return null;
      const marker = b[o + 1];
      if (marker === 0xff) {
        o++;
        continue;
      }
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { format: 'jpeg', width: v.getUint16(o + 7), height: v.getUint16(o + 5) };
      o += 2 + v.getUint16(o + 2);
    }
    return null;
  }
  return null;
}

/** Why an image with this header cannot be imported; null when it can. */
export function headerProblem(h: ImageHeader | null): string | null {
  if (!h) return 'not a PNG, JPEG or WebP image (whatever its name says)';
  if (h.width < 1 || h.height < 1) return `declares ${h.width}x${h.height} pixels`;
  if (h.width * h.height > MAX_IMAGE_PIXELS) return `${h.width}x${h.height} is over the ${MAX_IMAGE_PIXELS / 1e6}-megapixel limit`;
  return null;
}

/**
 * The page fits its codebook on a seeded sample of this many train images: k-means is the import's
 * longest phase on a CPU adapter, and 1,000 images of an 8x8 grid are 64,000 patches, 250 for each
 * of 256 codes.
 */
export const IMPORT_FIT_IMAGES = 1000;

/** The tokenizer's defaults for a side: patches of side/8 (a grid of 8 x 8 tokens, 4 x 4 pixels at 32), 256 codes. */
export function importDefaults(size: number): { patch: number; K: number } {
  let patch = Math.max(1, Math.round(size / 8));
  while (size % patch !== 0) patch--;
  return { patch, K: 256 };
}

/** A package name for the import that no stored dataset has: the title's, then -2, -3, … */
export function uniqueName(title: string, taken: string[]): string {
  const base = packageName(title);
  let name = base;
  for (let i = 2; taken.includes(name); i++) name = `${base}-${i}`;
  return name;
}
