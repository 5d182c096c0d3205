"""The one way in: validation (once), acceptance (quarantine), derived rates, the write service,
partitions, loaders."""
