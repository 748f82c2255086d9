// Package deploy holds black-box tests of the packaging in deploy/: the
// container image built and run with podman, the systemd unit checked by
// systemd-analyze, and the Helm chart rendered by helm. Each needs its
// tool; .ci/run installs them all, so in CI none of these tests skips.
package deploy
