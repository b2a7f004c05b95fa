"""Twin of the Uniswap V2 pair (deployed from @uniswap/v2-core's artifacts)."""
