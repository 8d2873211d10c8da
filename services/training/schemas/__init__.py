"""Request and response bodies of the training service, one module per resource."""
