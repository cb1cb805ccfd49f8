"""Bulk import of CSV/XLSX exports (README: Intake channels › Bulk import).

readers: the file, decoded, as rows · dates: the date formats exports use ·
mapping: one row onto Kesu's fields, with every problem named · services: jobs and
presets · runner: the batched, resumable run that hands good rows to the backend.
"""
