package observables

import (
	"encoding/hex"
	"strings"
)

const (
	expectedSHA256   = "64 hexadecimal digits, the SHA-256 of a file"
	expectedFileName = "a file name such as invoice.pdf, at most 255 bytes"
	// maxFileNameBytes is the name length limit of common file systems
	// (ext4 allows 255 bytes in a name).
	maxFileNameBytes = 255
)

func normalizeSHA256(value string) (string, error) {
	if len(value) != 64 {
		return "", reject(SHA256, value, "is not 64 characters long", expectedSHA256)
	}
	if _, err := hex.DecodeString(value); err != nil {
		return "", reject(SHA256, value, "contains a character that is not a hexadecimal digit", expectedSHA256)
	}
	return strings.ToLower(value), nil
}

func normalizeFileName(value string) (string, error) {
	if containsControl(value) {
		return "", reject(FileName, value, "contains a control character", expectedFileName)
	}
	if len(value) > maxFileNameBytes {
		return "", reject(FileName, value, "is longer than 255 bytes", expectedFileName)
	}
	return value, nil
}
