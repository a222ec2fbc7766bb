"""Publishing: forms as immutable XForm versions with media, open or closed. Imports core and places."""
