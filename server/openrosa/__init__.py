"""OpenRosa for phones (transport): form list, manifests, submissions. Imports any layer below."""
