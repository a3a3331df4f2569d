package sim

import (
	"io"
	"log/slog"
	"time"
)

// Options configures a simulator. The zero value gives the defaults written
// on each field.
type Options struct {
	// Seed makes the generated dataset reproducible. Default: 1.
	Seed int64
	// Messages is the number of background messages generated besides the
	// story messages. Default (also for 0): 3000.
	Messages int
	// Days is how far back from Now the background messages reach. Default: 30.
	Days int
	// Now is the clock; the dataset is placed relative to it at construction.
	// Default: time.Now.
	Now func() time.Time
	// Users maps user names to passwords. Default: {"admin": "ironport"}.
	Users map[string]string
	// Privileges lists what every account may do. Default: the seven
	// privileges the relay checks (see DefaultPrivileges).
	Privileges []string
	// TokenTTL is the lifetime of a login token. Default: 30m.
	TokenTTL time.Duration
	// RemediationDelay is how long a remediation stays Queued before it ends
	// Success or Failed, measured on Now plus Advance. Default: 2s.
	RemediationDelay time.Duration
	// ActionNames are the wire names of the delete, forward and
	// forward-and-delete remediation actions. Default: "delete", "forward",
	// "fwdDelete".
	ActionNames [3]string
	// MailboxDomains are the recipient domains with a mailbox profile;
	// remediation of a recipient in any other domain ends Failed.
	// Default: example.com and sales.example.com.
	MailboxDomains []string
	// EmptyAsObject makes an empty tracking search return {} instead of an
	// envelope with an empty data list, as some AsyncOS builds do.
	EmptyAsObject bool
	// BadRecordsPerPage drops up to this many records from every search page
	// and reports them in meta.num_bad_records. Story messages are never
	// dropped.
	BadRecordsPerPage int
	// DataFile loads the dataset from a JSON file written by WriteData
	// instead of generating it.
	DataFile string
	// Dictionaries are the initial content dictionaries on the ESA prefix.
	// Default: {"relay_blocked_senders": {}}.
	Dictionaries map[string][]string
	// Logger receives one debug line per request. Default: discards.
	Logger *slog.Logger
}

// DefaultPrivileges are the privileges every account has when
// Options.Privileges is nil.
var DefaultPrivileges = []string{
	"e_message_tracking_messages",
	"e_message_tracking_detail",
	"e_message_tracking_amp_details",
	"e_message_tracking_url_details",
	"e_remediation",
	"e_config_dictionaries",
	"e_quarantine_spam",
}

// DefaultMailboxDomains are the recipient domains with a mailbox profile
// when Options.MailboxDomains is nil.
var DefaultMailboxDomains = []string{"example.com", "sales.example.com"}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Messages == 0 {
		o.Messages = 3000
	}
	if o.Days == 0 {
		o.Days = 30
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Users) == 0 {
		o.Users = map[string]string{"admin": "ironport"}
	}
	if o.Privileges == nil {
		o.Privileges = append([]string(nil), DefaultPrivileges...)
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = 30 * time.Minute
	}
	if o.RemediationDelay == 0 {
		o.RemediationDelay = 2 * time.Second
	}
	o.ActionNames = actionNamesWithDefaults(o.ActionNames)
	if o.MailboxDomains == nil {
		o.MailboxDomains = append([]string(nil), DefaultMailboxDomains...)
	}
	if o.Dictionaries == nil {
		o.Dictionaries = map[string][]string{"relay_blocked_senders": {}}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

func actionNamesWithDefaults(names [3]string) [3]string {
	defaults := [3]string{"delete", "forward", "fwdDelete"}
	for i := range names {
		if names[i] == "" {
			names[i] = defaults[i]
		}
	}
	return names
}
