"""Data: the store, the registry, importers and their formats with quarantine, exports,
import templates and the synthetic sample. Knows instruments; knows nothing of analyses,
reports or forms."""
