package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// RemediationAction is a mailbox remediation action.
type RemediationAction string

// The remediation actions the relay offers.
const (
	ActionDelete        RemediationAction = "delete"
	ActionForward       RemediationAction = "forward"
	ActionForwardDelete RemediationAction = "forward_delete"
)

// RemediationWireActions maps each action to the "action" string of the
// SMA remediation API.
//
// NOTE: only "fwdDelete" has been seen on a real SMA, in a 2024 capture of
// its web interface. "delete" and "forward" are inferred from the
// remediation report counters, so correct them here if an appliance
// rejects them.
var RemediationWireActions = map[RemediationAction]string{
	ActionDelete:        "delete",
	ActionForward:       "forward",
	ActionForwardDelete: "fwdDelete",
}

// RemediationBatch is one remediation request covering one or more
// delivered messages.
type RemediationBatch struct {
	Name, Description string
	Action            RemediationAction
	// ForwardAddress is the one mailbox forward actions send copies to.
	ForwardAddress string
	// Folder is the mailbox folder forwarded copies go to.
	Folder          string
	InitiatedUser   string
	InitiatedSource string
	Messages        []RemediationMessage
}

// RemediationMessage links a tracked message to the mailbox search; the
// appliance finds the mail by Message-ID and recipient mailbox.
type RemediationMessage struct {
	MIDs       []int64
	MessageID  string
	From       []string
	Recipients []string
	Serial     string
	Subject    string
	SentAt     time.Time
}

// RemediationReceipt is the acknowledgement of a queued batch.
type RemediationReceipt struct {
	// BatchID is the appliance's batch id, empty when the response has none.
	BatchID string
}

type remediationDetail struct {
	MID       []int64  `json:"mid"`
	MessageID string   `json:"message_id"`
	From      []string `json:"from_email"`
	Recipient []string `json:"recipient_email"`
	Subject   string   `json:"subject"`
	Serial    string   `json:"serial_number"`
	SentAt    int64    `json:"sent_at"`
}

type remediationData struct {
	BatchID         string              `json:"batch_id"`
	BatchName       string              `json:"batch_name"`
	InitiatedUser   string              `json:"initiated_username"`
	InitiatedSource string              `json:"initiated_source"`
	Description     string              `json:"batch_description"`
	Action          string              `json:"action"`
	ForwardAddress  []string            `json:"fwd_email_address,omitempty"`
	Folder          string              `json:"folder_name"`
	ReportToTalos   int                 `json:"report_to_talos"`
	Messages        []remediationDetail `json:"message_details"`
}

// SubmitRemediation queues a remediation batch on an SMA. It is never
// retried, because a repeated submit would queue a second batch. The one
// exception is a 401, sent once more after a new login, because the
// appliance rejected it before acting.
func (c *Client) SubmitRemediation(ctx context.Context, b RemediationBatch) (*RemediationReceipt, error) {
	const op = "remediation"
	data, err := c.remediationBody(b)
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: op, Message: err.Error()}
	}
	var out struct {
		Data struct {
			BatchID flexString `json:"batch_id"`
		} `json:"data"`
	}
	r := request{op: op, method: http.MethodPost, path: "/remediation", write: true,
		body: map[string]any{"data": data}}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &RemediationReceipt{BatchID: clean(string(out.Data.BatchID))}, nil
}

// remediationBody validates b and builds the request data.
func (c *Client) remediationBody(b RemediationBatch) (*remediationData, error) {
	if c.cfg.API != SMA {
		return nil, fmt.Errorf("remediation is available only through an SMA (GATEWAY_API=sma)")
	}
	wire, ok := RemediationWireActions[b.Action]
	if !ok {
		return nil, fmt.Errorf("remediation action %q is invalid: use delete, forward or forward_delete", b.Action)
	}
	if strings.TrimSpace(b.Name) == "" {
		return nil, fmt.Errorf("remediation batch name is missing")
	}
	if len(b.Messages) == 0 {
		return nil, fmt.Errorf("remediation batch %q has no messages", b.Name)
	}
	d := &remediationData{
		BatchName: b.Name, Description: b.Description, Action: wire, Folder: b.Folder,
		InitiatedUser: b.InitiatedUser, InitiatedSource: b.InitiatedSource,
	}
	if b.Action != ActionDelete {
		addr := strings.TrimSpace(b.ForwardAddress)
		if addr == "" || strings.ContainsAny(addr, ", ;") {
			return nil, fmt.Errorf("remediation action %s needs exactly one forward address", b.Action)
		}
		d.ForwardAddress = []string{addr}
	}
	for i, m := range b.Messages {
		if m.MessageID == "" || len(m.Recipients) == 0 || m.Serial == "" {
			return nil, fmt.Errorf("remediation message %d needs a Message-ID, recipients and a serial number", i)
		}
		detail := remediationDetail{MID: m.MIDs, MessageID: m.MessageID, From: m.From,
			Recipient: m.Recipients, Subject: m.Subject, Serial: m.Serial}
		if !m.SentAt.IsZero() {
			detail.SentAt = m.SentAt.Unix()
		}
		d.Messages = append(d.Messages, detail)
	}
	return d, nil
}

// RecipientOutcome is the remediation result for one recipient.
type RecipientOutcome struct {
	MID       int64
	Recipient string
	Sender    string
	// Status is "Queued", "Success" or "Failed".
	Status string
	// Read is the appliance's msg_read flag ("0", "1"), empty when unknown.
	Read        string
	DeliveredAt time.Time
}

// RemediationStatus is a remediation batch as remediation-details reports it.
type RemediationStatus struct {
	BatchName, Description, Action, InitiatedBy, InitiatedSource string
	InitiatedAt                                                  time.Time
	Recipients                                                   []RecipientOutcome
}

type remediationStatusBody struct {
	Batch struct {
		Name        flexString `json:"batch_name"`
		Description flexString `json:"batch_desc"`
		Action      flexString `json:"mor_action"`
		User        flexString `json:"b_init_username"`
		Time        flexString `json:"b_init_time"`
		Source      flexString `json:"b_init_source"`
	} `json:"batch_details"`
	Messages []struct {
		MID         flexInt    `json:"mid"`
		Recipient   flexString `json:"recipient_email"`
		From        flexString `json:"from_email"`
		Status      flexString `json:"mor_status"`
		Read        flexString `json:"msg_read"`
		DeliveredAt flexString `json:"delivered_at"`
	} `json:"message_details"`
}

// RemediationStatus reads back the batch covering the given MIDs. A 404
// "Invalid value for attribute - mid or icid." (no batch) is KindNotFound.
func (c *Client) RemediationStatus(ctx context.Context, serial string, mids []int64) (*RemediationStatus, error) {
	const op = "message-tracking/remediation-details"
	if strings.TrimSpace(serial) == "" || len(mids) == 0 {
		return nil, &Error{Kind: KindInvalid, Gateway: c.cfg.BaseURL, Op: op,
			Message: "remediation status needs a serial number and at least one MID"}
	}
	var q queryString
	q.add("serialNumber", serial)
	q.addMIDs(mids)
	// Some releases may wrap the response in "data", so both forms are read.
	var body struct {
		remediationStatusBody
		Data *remediationStatusBody `json:"data"`
	}
	if err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/" + op, query: q.String()}, &body); err != nil {
		return nil, err
	}
	src := &body.remediationStatusBody
	if body.Data != nil {
		src = body.Data
	}
	return src.toStatus(), nil
}

func (b *remediationStatusBody) toStatus() *RemediationStatus {
	st := &RemediationStatus{
		BatchName:       clean(string(b.Batch.Name)),
		Description:     clean(string(b.Batch.Description)),
		Action:          clean(string(b.Batch.Action)),
		InitiatedBy:     clean(string(b.Batch.User)),
		InitiatedSource: clean(string(b.Batch.Source)),
		InitiatedAt:     epochTime(string(b.Batch.Time)),
	}
	for _, m := range b.Messages {
		st.Recipients = append(st.Recipients, RecipientOutcome{
			MID:         int64(m.MID),
			Recipient:   clean(string(m.Recipient)),
			Sender:      clean(string(m.From)),
			Status:      clean(string(m.Status)),
			Read:        clean(string(m.Read)),
			DeliveredAt: epochTime(string(m.DeliveredAt)),
		})
	}
	return st
}
