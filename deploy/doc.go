// Package deploy contains the relay's deployment files: the Docker Compose
// file, the Kubernetes manifests and the XDR module types. It has no code.
// Its tests check those files and the repository's Dockerfile statically,
// because no container engine or cluster runs where the tests run.
package deploy
