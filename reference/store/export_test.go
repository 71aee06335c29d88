package store

// Internals the external tests need to name.
const (
	TempPrefix = tempPrefix
	StaleTemp  = staleTemp
)
