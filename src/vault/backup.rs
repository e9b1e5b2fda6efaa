//! Backups, restores and key rotation (filled in below).
