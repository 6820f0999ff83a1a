# The model's tables: object types, endpoints and versions, and the endpoint page in docs/.
hubsync_test(model hubsync_model hubsync_core)
