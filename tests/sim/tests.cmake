hubsync_test(sim hubsync_sim hubsync_core Poco::Net Poco::NetSSL Poco::Crypto Poco::JSON Poco::Foundation)
