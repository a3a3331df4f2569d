// Package sim is a simulated Cisco AsyncOS API v2.0, serving the ESA
// (/esa/api/v2.0) and SMA (/sma/api/v2.0) prefixes over HTTP or HTTPS for
// tests, demos and benchmarks. It speaks only the wire format and
// reproduces the appliance's quirks, so a client that works against it has
// met them.
//
// # Dataset
//
// New generates, from Options.Seed, Options.Messages background messages
// over Options.Days days before Options.Now, on two appliances:
//
//   - esa1.mail.example.com, serial 4229C3F0A1B27E5D9C11-7F3E2A9B4C6D, in
//     UTC, current record format: messageStatus, recipientMap, finalSubject,
//     messageID and verdictChart are maps keyed by MID as a string.
//   - esa2.mail.example.com, serial 42308D7E6F1A2B3C4D5E-9A8B7C6D5E4F, at
//     UTC-05:00, 12.x record format: messageStatus is a plain string and
//     search items carry no per-MID maps, allIcid, dcid or morDetails.
//
// The SMA prefix serves the messages of both appliances. The ESA prefix
// serves esa1 only, with hostName "" in search items, as a gateway queried
// directly does. Timestamps carry the zone labels "(GMT)" (SMA, UTC), "(GMT +00:00)"
// (ESA, UTC), "(GMT -05:00)" (esa2 in search) and "(GMT-05:00)" (esa2 in
// details). Recipient domains example.com and sales.example.com have a
// mailbox profile by default; branch.example.net has none.
//
// # Stories
//
// Besides the background, the dataset always holds these messages, whose
// observables are the same for every seed (Server.Stories returns them with
// their MIDs and times, which vary):
//
//   - Phishing: from it-support@account-verify.example (198.51.100.23) on
//     esa1, subject "Action required: mailbox quota exceeded", delivered to
//     alice@example.com, bob@sales.example.com and carol@branch.example.net
//     (no mailbox profile), Message-ID
//     <b7f1e2c4.0042$verify+01@account-verify.example>, carrying
//     http://account-verify.example/mailbox/login?session=8f2c1a with
//     reputation -9.1 (Malicious band) and category Phishing, rewritten to a
//     secure-web.cisco.com URL. About 26 hours before Now.
//   - Campaign: Phishing plus three more messages from the same sender with
//     the same URL: to dave@example.com (esa1), to erin@example.com and
//     frank@sales.example.com (esa2), and to grace@example.com (esa1,
//     quarantined by content filters, so its remediation fails).
//   - Malware: from accounts@invoice-center.example (203.0.113.45) to
//     henry@example.com, subject "Invoice INV-20931 overdue", attachment
//     INV-20931.xlsm with AMP disposition MALICIOUS, dropped by anti-virus.
//   - Newsletter: from news@updates.example.org to three recipients, split
//     into three MIDs with one recipient each, delivered and clean.
//   - Spam: from promo@cheap-meds.test to ken@example.com with an RFC 2047
//     encoded subject, quarantined by anti-spam; it sits in the spam
//     quarantine under a quarantine MID that differs from its tracking MIDs.
//   - RejectedIP: a connection from 203.0.113.66 with SBRS -7.4 rejected on
//     esa1, found with searchOption=rejected_connections.
//   - VirusQuarantine: from payroll@hr-portal.example (198.51.100.140) on
//     esa1 to laura@example.com, subject "Updated salary statement",
//     attachment salary-statement.zip found VIRAL and held in the Virus
//     quarantine under its own quarantine MID. About 4 hours before Now.
//
// Messages quarantined by anti-virus, outbreak filters, content filters or
// several engines sit in the Virus, Outbreak, Policy or Virus and Outbreak
// quarantines (quarantineType=pvo), numbered apart from the tracking MIDs.
// A message leaves only the quarantine named in a release or delete, and
// is delivered once all of them released it and none deleted it.
//
// URL reputation scores follow the appliance's bands: -10 to -6 is
// Malicious, -5.9 to -3 Suspicious, above that Neutral or better.
//
// # Behaviour
//
// Authentication takes Basic credentials or the jwtToken header of POST
// {prefix}/login. Tracking search decodes %20 but keeps "+" literal, needs
// startDate and endDate on a whole minute, pages newest first and reports
// totalCount as the good records of the page. Details lookups that match no
// message answer 404 when the first MID is odd and 200 with "N/A" fields
// when it is even. Remediation batches stay Queued for
// Options.RemediationDelay on the simulator clock (Now plus Advance), then
// each recipient ends Success, or Failed when the message was not delivered
// to it or its domain has no mailbox profile.
package sim
