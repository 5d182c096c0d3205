"""The one way in: acceptance (validate, quarantine), the write service, partitions, loaders."""
