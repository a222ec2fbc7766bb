"""tgpl server: OpenRosa for phones, the store, and the services behind them."""
