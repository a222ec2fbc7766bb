"""The form toolkit: build XLSForms with pyxform, validate with ODK Validate, read built XForms."""
