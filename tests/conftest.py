pytest_plugins = ["tests.servers.prometheus"]
