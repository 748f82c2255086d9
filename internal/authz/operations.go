package authz

// Operation is one thing a caller does, whichever transport it comes
// through: the API route and the console page that do the same thing name
// the same operation, and so need the same permission.
type Operation string

const (
	ListClients   Operation = "client.list"
	ReadClient    Operation = "client.read"
	CreateClient  Operation = "client.create"
	UpdateClient  Operation = "client.update"
	DeleteClient  Operation = "client.delete"
	RevokeAll     Operation = "client.revoke_all"
	ListSecrets   Operation = "secret.list"
	ReadSecret    Operation = "secret.read"
	CreateSecret  Operation = "secret.create"
	UpdateSecret  Operation = "secret.update"
	RevokeSecret  Operation = "secret.revoke"
	RotateSecrets Operation = "secret.rotate"
	// A client's public keys (private_key_jwt): credentials like secrets,
	// with the secrets' permissions.
	ListClientKeys  Operation = "client_key.list"
	ReadClientKey   Operation = "client_key.read"
	CreateClientKey Operation = "client_key.create"
	UpdateClientKey Operation = "client_key.update"
	RevokeClientKey Operation = "client_key.revoke"
	ReadRotation    Operation = "rotation.read"
	CompleteRotate  Operation = "rotation.complete"
	ListRefresh     Operation = "refresh_token.list"
	CreateRefresh   Operation = "refresh_token.create"
	ReadWebhook     Operation = "webhook.read"
	EnableWebhook   Operation = "webhook.enable"
	Redeliver       Operation = "webhook.redeliver"
	ReplayWebhook   Operation = "webhook.replay"
	// SendTestWebhook queues a webhook.test event to the client's endpoint.
	SendTestWebhook  Operation = "webhook.test"
	CreateWebhookKey Operation = "webhook.signing_key_create"
	RetireWebhookKey Operation = "webhook.signing_key_retire"
	// DeleteWebhookPayload deletes a delivery's payload now.
	DeleteWebhookPayload   Operation = "webhook.payload_delete"
	ReadClientAudit        Operation = "client.activity"
	ListKeys               Operation = "key.list"
	RotateKeys             Operation = "key.rotate"
	ReadMe                 Operation = "me.read"
	ChangePassword         Operation = "me.password"
	ManageMFA              Operation = "me.mfa"
	ListSessions           Operation = "session.list"
	EndSession             Operation = "session.end"
	ReadOwnCred            Operation = "credential.read"
	CreateOwnCred          Operation = "credential.create"
	RotateOwnCred          Operation = "credential.rotate"
	RevokeOwnCred          Operation = "credential.revoke"
	ListAPITokens          Operation = "api_token.list"
	ReadAPIToken           Operation = "api_token.read"
	CreateAPIToken         Operation = "api_token.create"
	RevokeAPIToken         Operation = "api_token.revoke"
	RotateAPIToken         Operation = "api_token.rotate"
	ListUsers              Operation = "user.list"
	ReadUser               Operation = "user.read"
	InviteUser             Operation = "user.invite"
	UpdateUser             Operation = "user.update"
	DeleteUser             Operation = "user.delete"
	ReadUserCred           Operation = "user.credential_read"
	RevokeUserCred         Operation = "user.credential_revoke"
	ReadPolicyOp           Operation = "policy.read"
	UpdatePolicy           Operation = "policy.update"
	ReadAuditLog           Operation = "audit.read"
	ListAuditStreams       Operation = "audit.stream_list"
	ReadAuditStream        Operation = "audit.stream_read"
	CreateAuditStream      Operation = "audit.stream_create"
	DeleteAuditStream      Operation = "audit.stream_delete"
	ListUserTokens         Operation = "user.api_token_list"
	RevokeUserToken        Operation = "user.api_token_revoke"
	ReadOverview           Operation = "overview.read"
	ReportLeak             Operation = "leak.report"
	ListLeaks              Operation = "leak.list"
	ListIdentityProviders  Operation = "identity_provider.list"
	ReadIdentityProvider   Operation = "identity_provider.read"
	CreateIdentityProvider Operation = "identity_provider.create"
	UpdateIdentityProvider Operation = "identity_provider.update"
	DeleteIdentityProvider Operation = "identity_provider.delete"
	// The organisation's own webhook endpoints.
	ListOrgWebhooks      Operation = "org_webhook.list"
	ReadOrgWebhook       Operation = "org_webhook.read"
	CreateOrgWebhook     Operation = "org_webhook.create"
	UpdateOrgWebhook     Operation = "org_webhook.update"
	DeleteOrgWebhook     Operation = "org_webhook.delete"
	RotateOrgWebhook     Operation = "org_webhook.secret_rotate"
	ReplayOrgWebhook     Operation = "org_webhook.replay"
	RedeliverOrgWebhook  Operation = "org_webhook.redeliver"
	DeleteOrgWebhookData Operation = "org_webhook.payload_delete"
)

// operations is the one table of what each operation needs. Both
// transports look their routes' permissions up here.
var operations = map[Operation]Permission{
	ListClients: ReadClients, ReadClient: ReadClients, CreateClient: WriteClients, UpdateClient: WriteClients,
	DeleteClient: WriteClients, RevokeAll: WriteSecrets,
	ListSecrets: ReadSecrets, ReadSecret: ReadSecrets, CreateSecret: WriteSecrets, UpdateSecret: WriteSecrets,
	RevokeSecret: WriteSecrets, RotateSecrets: WriteSecrets,
	ListClientKeys: ReadSecrets, ReadClientKey: ReadSecrets, CreateClientKey: WriteSecrets, UpdateClientKey: WriteSecrets,
	RevokeClientKey: WriteSecrets,
	ReadRotation:    ReadSecrets, CompleteRotate: WriteSecrets,
	ListRefresh: ReadSecrets, CreateRefresh: WriteSecrets,
	ReadWebhook: ReadClients, EnableWebhook: WriteClients, Redeliver: WriteClients, ReplayWebhook: WriteClients, DeleteWebhookPayload: WriteClients,
	SendTestWebhook:  WriteClients,
	CreateWebhookKey: WriteClients, RetireWebhookKey: WriteClients,
	// A client's activity is its part of the audit log; clients:read
	// sees it (only admins read the whole log).
	ReadClientAudit: ReadClients,
	ListKeys:        ReadKeys, RotateKeys: WriteKeys,
	ReadMe: ReadSelf, ChangePassword: Self, ManageMFA: Self, ListSessions: Self, EndSession: Self,
	ReadOwnCred: OwnCredential, CreateOwnCred: OwnCredential, RotateOwnCred: OwnCredential, RevokeOwnCred: OwnCredential,
	ListAPITokens: OwnAPITokens, ReadAPIToken: OwnAPITokens, CreateAPIToken: OwnAPITokens, RevokeAPIToken: OwnAPITokens, RotateAPIToken: OwnAPITokens,
	ListUsers: ReadUsers, ReadUser: ReadUsers, InviteUser: WriteUsers, UpdateUser: WriteUsers, DeleteUser: WriteUsers,
	ReadUserCred: ReadUsers, RevokeUserCred: ManageCredentials,
	ListUserTokens: ReadUsers, RevokeUserToken: ManageCredentials,
	ReadPolicyOp: ReadPolicy, UpdatePolicy: WritePolicy,
	ReadAuditLog: ReadAudit,
	// Who reads the log sees where it goes; only a super admin changes it.
	ListAuditStreams: ReadAudit, ReadAuditStream: ReadAudit,
	CreateAuditStream: WriteAuditStreams, DeleteAuditStream: WriteAuditStreams,
	// The overview names users (no MFA, no personal credential): it needs
	// what reading users needs.
	ReadOverview: ReadUsers,
	// Reporting a leak revokes what it names, in any organisation: whoever
	// holds the value could use it, so the holder of a leaked value may
	// shut it down. The leak-reporter token may do this and nothing else.
	ReportLeak: ReportLeaks,
	// Leaks carry source URLs and reporters, and name users' tokens.
	ListLeaks: ReadAudit,
	// Who reads the users sees how they sign in; only a super admin
	// changes it.
	ListIdentityProviders: ReadUsers, ReadIdentityProvider: ReadUsers,
	CreateIdentityProvider: WriteIdentityProviders, UpdateIdentityProvider: WriteIdentityProviders, DeleteIdentityProvider: WriteIdentityProviders,
	ListOrgWebhooks: ReadOrgWebhooks, ReadOrgWebhook: ReadOrgWebhooks,
	CreateOrgWebhook: WriteOrgWebhooks, UpdateOrgWebhook: WriteOrgWebhooks, DeleteOrgWebhook: WriteOrgWebhooks,
	RotateOrgWebhook: WriteOrgWebhooks, ReplayOrgWebhook: WriteOrgWebhooks, RedeliverOrgWebhook: WriteOrgWebhooks,
	DeleteOrgWebhookData: WriteOrgWebhooks,
}

// Required returns the permission op needs ("" for an unknown operation,
// which no role holds).
func Required(op Operation) Permission { return operations[op] }

// Operations lists every operation of the table.
func Operations() []Operation {
	out := make([]Operation, 0, len(operations))
	for op := range operations {
		out = append(out, op)
	}
	return out
}
