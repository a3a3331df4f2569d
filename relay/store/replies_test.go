package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCopyRepliesKeepsValuesApart(t *testing.T) {
	values := copyReplies([]any{"abc", nil, "", "de"})

	require.Equal(t, [][]byte{[]byte("abc"), nil, {}, []byte("de")}, values)
	require.NotNil(t, values[2], "an empty value is not a missing key")
	require.Nil(t, values[1])
	_ = append(values[0], 'X')
	require.Equal(t, []byte("de"), values[3], "appending to one value must not change the next")
}
