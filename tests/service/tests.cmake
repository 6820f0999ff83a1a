hubsync_test(service hubsync_service)
