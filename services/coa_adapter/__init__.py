"""coa-adapter: the COA simulator (TVS-like source API, the three notification moments,
and a control API for chain tests). See ``main`` for the composition root."""
