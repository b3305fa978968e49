"""The one error every package reader raises, as src/formats/error.ts: a code, the file, and a
message that starts with the file's name, so callers can show it as it is."""

CODES = ("bad-magic", "bad-version", "truncated", "checksum", "corrupt", "too-large")


class DataFormatError(Exception):
    def __init__(self, code, message, file=None):
        assert code in CODES, code
        super().__init__(f"{file}: {message}" if file else message)
        self.code = code
        self.file = file
