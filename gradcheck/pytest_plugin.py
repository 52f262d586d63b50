"""pytest plugin for gradcheck (entry point ``pytest11``). Kept import-cheap."""
