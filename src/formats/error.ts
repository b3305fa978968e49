// The one error every package decoder throws, so callers can tell bad input from a bug and show
// its message (which starts with the file's name) as it is.

export type DataFormatErrorCode = 'bad-magic' | 'bad-version' | 'truncated' | 'checksum' | 'corrupt' | 'too-large';

export class DataFormatError extends Error {
  override name = 'DataFormatError';
  readonly code: DataFormatErrorCode;
  readonly file?: string;
  constructor(code: DataFormatErrorCode, message: string, file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.code = code;
    this.file = file;
  }
}

export type Fail = (code: DataFormatErrorCode, msg: string) => never;

/** A thrower bound to one file, for decoders that check many fields of it. */
export function failFor(file: string): Fail {
  return (code, msg) => {
    throw new DataFormatError(code, msg, file);
  };
}
