hubsync_test(oauth hubsync_oauth hubsync_http hubsync_core Poco::Net Poco::Foundation)
