// Files the user dropped or picked, each with its path below what was dropped ("shapes/red/1.png"),
// which is what names its class (src/data/image_import.ts). Folders are walked through the
// File and Directory Entries API, the one way a page can read a dropped folder.

export interface PickedFile {
  file: File;
  path: string;
}

/** A file input's files: a directory picker gives each its relative path, a plain picker its name. */
export function pickedFiles(list: FileList): PickedFile[] {
  return Array.from(list, (file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/** Everything dropped: folders walked to the bottom, files as they are. */
export async function droppedFiles(dt: DataTransfer): Promise<PickedFile[]> {
  // Entries must be taken synchronously, before the drop event returns.
  const entries = Array.from(dt.items, (item) => item.webkitGetAsEntry?.() ?? null);
  if (entries.every((e) => e === null)) return pickedFiles(dt.files);
  const out: PickedFile[] = [];
  for (const entry of entries) if (entry) await walk(entry, out);
  return out;
}

async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  const path = entry.fullPath.replace(/^\/+/, '');
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns a directory's entries a batch at a time, then an empty batch.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) await walk(child, out);
  }
}
