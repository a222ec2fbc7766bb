"""Submissions out as files: ODK Central's CSV zip layout (rows in, files out; no HTTP, no database)."""

from exports.csv_zip import ExportStats, write_csv_zip
from exports.submission import ExportSubmission

__all__ = ["ExportStats", "ExportSubmission", "write_csv_zip"]
