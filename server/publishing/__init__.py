"""Publishing: forms as immutable XForm versions with media, open or closed, sensitive. Imports core and places."""
