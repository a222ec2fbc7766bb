"""Places: gazetteer, village registry, areas, coverage and its reads, GPS check, reports. Imports core."""
