"""The gazetteer: official administrative units (pre-2025 and 2025 structures) and the village registry."""
