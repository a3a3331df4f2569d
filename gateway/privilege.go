package gateway

import "strings"

// Privileges of the API account, as AsyncOS names them in login/privileges.
const (
	PrivTracking     = "e_message_tracking_messages"
	PrivDetail       = "e_message_tracking_detail"
	PrivAMPDetails   = "e_message_tracking_amp_details"
	PrivURLDetails   = "e_message_tracking_url_details"
	PrivRemediation  = "e_remediation"
	PrivDictionaries = "e_config_dictionaries"
	PrivSpam         = "e_quarantine_spam"
)

// opPrivileges maps the operations of Error.Op to the privilege each needs.
// quarantine/messages is left out: the spam quarantine needs PrivSpam, but
// the policy, virus and outbreak quarantines share the operation and their
// privilege is not documented, so naming one could send an administrator
// after the wrong grant.
var opPrivileges = map[string]string{
	"message-tracking/messages":            PrivTracking,
	"message-tracking/details":             PrivDetail,
	"message-tracking/amp-details":         PrivAMPDetails,
	"message-tracking/url-details":         PrivURLDetails,
	"message-tracking/remediation-details": PrivRemediation,
	"remediation":                          PrivRemediation,
	"config/dictionaries":                  PrivDictionaries,
}

// PrivilegeFor returns the privilege the operation op needs, or "" when
// it is unknown.
func PrivilegeFor(op string) string {
	if p, ok := opPrivileges[op]; ok {
		return p
	}
	if strings.HasPrefix(op, "config/dictionaries/") {
		return PrivDictionaries
	}
	return ""
}
