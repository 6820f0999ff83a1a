hubsync_test(oauth hubsync_oauth hubsync_sim hubsync_http hubsync_core Poco::Net Poco::NetSSL Poco::Crypto Poco::Foundation)
