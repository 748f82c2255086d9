package storetest

import (
	"testing"

	"keywarden/internal/store"
)

// Opener returns a new, empty, migrated store for one test. Run closes it
// through t.Cleanup, so an Opener that needs its own cleanup (dropping a
// schema) registers it before returning and it runs after the store closes.
type Opener func(t *testing.T) store.Store

// conformance lists the subtests of Run. Each gets a fresh store.
var conformance = []struct {
	name string
	test func(t *testing.T, s store.Store)
}{
	{"OrgPolicyRoundTrip", testOrgPolicy},
	{"UserEmailUniquePerOrg", testUserEmail},
	{"LegacyPasswordEnded", testLegacyPasswordEnded},
	{"APITokenByVerifier", testAPIToken},
	{"APITokenLifecycle", testAPITokenLifecycle},
	{"TouchAPITokensKeepsLatest", testTouchAPITokens},
	{"ConcurrentAPITokenRotationWinsOnce", testConcurrentAPITokenRotateOnce},
	{"DeleteEndedAPITokens", testDeleteEndedAPITokens},
	{"ClientCRUD", testClientCRUD},
	{"OtherOrganisationIsNotFound", testOrgIsolation},
	{"ListClientsPages", testListClientsPages},
	{"ListClientsPagesAreStable", testListClientsStable},
	{"ListClientsMalformedCursor", testListClientsBadCursor},
	{"SearchClients", testSearchClients},
	{"Health", testHealth},
	{"SecretCreateGetList", testSecretCreateGetList},
	{"SecretByVerifier", testSecretByVerifier},
	{"UpdateSecret", testUpdateSecret},
	{"RevokedSecretStaysRevoked", testRevokeIsFinal},
	{"RevokeClientSecrets", testRevokeClientSecrets},
	{"TouchLastUsedKeepsLatest", testTouchLastUsed},
	{"LoadClientAuthInOneQuery", testLoadClientAuth},
	{"ClientKeys", testClientKeys},
	{"TouchKeysLastUsedKeepsLatest", testTouchKeysLastUsed},
	{"AssertionIDsConsumedOnceUntilExpiry", testAssertionIDs},
	{"ConcurrentAssertionIDConsumedOnce", testAssertionIDOnce},
	{"ImportClientsInBatches", testImportClients},
	{"TimesRoundTripInUTC", testTimes},
	{"InTx", testInTx},
	{"InTxRollsBackOnPanic", testInTxPanic},
	{"AuditHeadAndAppend", testAuditAppend},
	{"AuditBadSeqChangesNothing", testAuditBadSeq},
	{"ListAuditFilters", testListAuditFilters},
	{"AuditClientActivity", testAuditClientActivity},
	{"AuditNames", testAuditNames},
	{"ListAuditPages", testListAuditPages},
	{"ScanAuditAllOrgsInChainOrder", testScanAudit},
	{"AuditSnapshot", testAuditSnapshot},
	{"ArchiveAudit", testArchiveAudit},
	{"AuditStreams", testAuditStreams},
	{"OrgAuditStreams", testOrgAuditStreams},
	{"Leaks", testLeaks},
	{"IdentityProviders", testIdentityProviders},
	{"ConsumeOIDCStateOnce", testConsumeOIDCState},
	{"ValueDigests", testValueDigests},
	{"SigningKeys", testSigningKeys},
	{"RefreshTokens", testRefreshTokens},
	{"RefreshFamilies", testRefreshFamilies},
	{"RevokedTokens", testRevokedTokens},
	{"Rotations", testRotations},
	{"ConcurrentWritersLoseNothing", testConcurrentWriters},
	{"ConcurrentRevokeAndUpdateEndsRevoked", testConcurrentRevokeUpdate},
	{"ConcurrentRefreshTokenUseWinsOnce", testConcurrentRefreshUse},
	{"UpdateContract", testUpdateContract},
	{"ConcurrentUpdatesLoseNothing", func(t *testing.T, s store.Store) { testUpdateLosesNothing(t, s) }},
	{"ConcurrentConsumeTOTPStepAndRecoveryCodeOnce", testConsumeOnce},
	{"ConcurrentRevokeSecretReportsOnce", testRevokeSecretOnce},
	{"LockSuperAdminsKeepsOne", testLockSuperAdmins},
	{"LockParentKeepsLimits", testLockLimits},
	{"ClientWebhookEvents", testClientWebhookEvents},
	{"WebhookMessages", testWebhookMessages},
	{"WebhookEnqueueIsTransactional", testWebhookEnqueueIsTransactional},
	{"WebhookClaimLeaseAndFinish", testWebhookClaim},
	{"WebhookAttemptsAndPruning", testWebhookAttempts},
	{"WebhookEndpoints", testWebhookEndpoints},
	{"WebhookReplay", testWebhookReplay},
	{"WebhookPayloadRetention", testWebhookPayloadRetention},
	{"WebhookSigningKeys", testWebhookSigningKeys},
	{"WebhookNoticesOnce", testWebhookNotices},
	{"OrgWebhookEndpoints", testOrgWebhookEndpoints},
	{"ConcurrentOrgWebhookEndpointUpdatesLoseNothing", testConcurrentOrgEndpointUpdates},
	{"WebhookOrgNoticesOnce", testWebhookOrgNoticesOnce},
	{"ListExpiringSecrets", testListExpiringSecrets},
	{"ListUnnoticedSecrets", testListUnnoticedSecrets},
	{"ListSecretsDueNotice", testListSecretsDueNotice},
	{"Paging", testPaging},
	{"SetupTokens", testSetupTokens},
	{"ClaimInstallation", testClaimInstallation},
	{"InstalledByOrganisation", testInstalledByOrganisation},
	{"ConcurrentSetupCreatesOneOrganisation", testConcurrentSetupOnce},
	{"ConcurrentClaimsWithALinkEachWinOnce", testConcurrentClaimOnce},
	{"OpsStats", testOpsStats},
	{"NotifyDeliversCommittedOnly", func(t *testing.T, s store.Store) { testNotifyDelivers(t, s, s) }},
	{"NotifyWaitsForCommit", func(t *testing.T, s store.Store) { testNotifyWaitsForCommit(t, s, s) }},
	{"NotifyRefusesBadInput", testNotifyRefusesBadInput},
	{"ListenEndsWithContext", testListenEndsWithContext},
	{"ListenEndsWithStore", testListenEndsWithStore},
	{"DataKeys", testDataKeys},
}

// Run runs the conformance suite against the stores open returns. The
// subtests run in parallel, each on its own store.
func Run(t *testing.T, open Opener) {
	for _, tc := range conformance {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.test(t, s)
		})
	}
}
