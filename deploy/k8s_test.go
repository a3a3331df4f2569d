package deploy

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

const (
	apiPort     = 9090
	metricsPort = 9091
)

// secretSettings are the settings that must come from the Secret, never
// from the ConfigMap.
var secretSettings = []string{"RELAY_JWT_SECRET", "RELAY_STATE_KEY"}

// decodeManifest decodes one manifest strictly, so a misspelt or misplaced
// field fails the test instead of being dropped silently.
func decodeManifest[T any](t *testing.T, name string, obj *T, apiVersion, kind string) *T {
	t.Helper()

	data, err := os.ReadFile(filepath.Join("k8s", name))
	require.NoError(t, err)
	require.NoError(t, yaml.UnmarshalStrict(data, obj), "decode %s", name)

	var meta metav1.TypeMeta
	require.NoError(t, yaml.Unmarshal(data, &meta))
	require.Equal(t, apiVersion, meta.APIVersion, "%s apiVersion", name)
	require.Equal(t, kind, meta.Kind, "%s kind", name)
	return obj
}

type manifests struct {
	deployment    *appsv1.Deployment
	service       *corev1.Service
	hpa           *autoscalingv2.HorizontalPodAutoscaler
	pdb           *policyv1.PodDisruptionBudget
	networkPolicy *networkingv1.NetworkPolicy
	configMap     *corev1.ConfigMap
	secret        *corev1.Secret
}

func loadManifests(t *testing.T) manifests {
	t.Helper()

	return manifests{
		deployment:    decodeManifest(t, "deployment.yaml", &appsv1.Deployment{}, "apps/v1", "Deployment"),
		service:       decodeManifest(t, "service.yaml", &corev1.Service{}, "v1", "Service"),
		hpa:           decodeManifest(t, "hpa.yaml", &autoscalingv2.HorizontalPodAutoscaler{}, "autoscaling/v2", "HorizontalPodAutoscaler"),
		pdb:           decodeManifest(t, "pdb.yaml", &policyv1.PodDisruptionBudget{}, "policy/v1", "PodDisruptionBudget"),
		networkPolicy: decodeManifest(t, "networkpolicy.yaml", &networkingv1.NetworkPolicy{}, "networking.k8s.io/v1", "NetworkPolicy"),
		configMap:     decodeManifest(t, "configmap.yaml", &corev1.ConfigMap{}, "v1", "ConfigMap"),
		secret:        decodeManifest(t, "examples/secret.yaml", &corev1.Secret{}, "v1", "Secret"),
	}
}

func TestManifestFilesAllKnown(t *testing.T) {
	files, err := filepath.Glob("k8s/*.yaml")
	require.NoError(t, err)
	for i, f := range files {
		files[i] = filepath.Base(f)
	}

	// A new manifest must be added to loadManifests so that it is decoded too.
	require.ElementsMatch(t, []string{
		"configmap.yaml", "deployment.yaml", "hpa.yaml", "networkpolicy.yaml", "pdb.yaml", "service.yaml",
	}, files)
}

func relayContainer(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()

	containers := d.Spec.Template.Spec.Containers
	require.Len(t, containers, 1)
	return containers[0]
}

// containerPort resolves a probe's or service's port, named or numbered,
// to the container port number.
func containerPort(t *testing.T, c corev1.Container, port intstr.IntOrString) int32 {
	t.Helper()

	if port.Type == intstr.Int {
		return port.IntVal
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return p.ContainerPort
		}
	}
	require.Failf(t, "unknown port name", "container %s has no port named %q", c.Name, port.StrVal)
	return 0
}

func TestDeploymentReplicasAndSelector(t *testing.T) {
	d := loadManifests(t).deployment

	require.NotNil(t, d.Spec.Replicas)
	require.Equal(t, int32(3), *d.Spec.Replicas)

	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	require.NoError(t, err)
	require.True(t, selector.Matches(labels.Set(d.Spec.Template.Labels)), "the selector does not match the pod template")
}

func TestDeploymentProbes(t *testing.T) {
	c := relayContainer(t, loadManifests(t).deployment)

	readiness := c.ReadinessProbe
	require.NotNil(t, readiness)
	require.NotNil(t, readiness.HTTPGet)
	require.Equal(t, "/readyz", readiness.HTTPGet.Path)
	require.Equal(t, int32(metricsPort), containerPort(t, c, readiness.HTTPGet.Port))

	liveness := c.LivenessProbe
	require.NotNil(t, liveness)
	require.NotNil(t, liveness.HTTPGet)
	require.Equal(t, "/watchdog", liveness.HTTPGet.Path)
	require.Equal(t, int32(apiPort), containerPort(t, c, liveness.HTTPGet.Port))
	idx := slices.IndexFunc(liveness.HTTPGet.HTTPHeaders, func(h corev1.HTTPHeader) bool {
		return h.Name == "Health-Check"
	})
	require.GreaterOrEqual(t, idx, 0, "/watchdog answers an error without a Health-Check header")
	require.NotEmpty(t, liveness.HTTPGet.HTTPHeaders[idx].Value)
}

func TestDeploymentResources(t *testing.T) {
	c := relayContainer(t, loadManifests(t).deployment)

	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		request, ok := c.Resources.Requests[name]
		require.True(t, ok, "no %s request", name)
		limit, ok := c.Resources.Limits[name]
		require.True(t, ok, "no %s limit", name)
		require.LessOrEqual(t, request.Cmp(limit), 0, "%s request above its limit", name)
	}
}

func TestDeploymentNonRoot(t *testing.T) {
	d := loadManifests(t).deployment
	pod := d.Spec.Template.Spec.SecurityContext
	c := relayContainer(t, d)

	require.NotNil(t, pod)
	require.NotNil(t, pod.RunAsNonRoot)
	require.True(t, *pod.RunAsNonRoot)
	require.NotNil(t, pod.RunAsUser)
	require.NotZero(t, *pod.RunAsUser)

	sc := c.SecurityContext
	require.NotNil(t, sc)
	require.NotNil(t, sc.ReadOnlyRootFilesystem)
	require.True(t, *sc.ReadOnlyRootFilesystem)
	require.NotNil(t, sc.AllowPrivilegeEscalation)
	require.False(t, *sc.AllowPrivilegeEscalation)
	require.NotNil(t, sc.Capabilities)
	require.Contains(t, sc.Capabilities.Drop, corev1.Capability("ALL"))
	require.Nil(t, sc.Privileged)
}

func TestDeploymentSettingsSources(t *testing.T) {
	m := loadManifests(t)
	c := relayContainer(t, m.deployment)

	require.Len(t, c.EnvFrom, 1)
	require.NotNil(t, c.EnvFrom[0].ConfigMapRef)
	require.Equal(t, m.configMap.Name, c.EnvFrom[0].ConfigMapRef.Name)

	fromSecret := map[string]bool{}
	for _, env := range c.Env {
		require.NotNil(t, env.ValueFrom, "%s is set inline", env.Name)
		ref := env.ValueFrom.SecretKeyRef
		require.NotNil(t, ref, "%s does not come from a Secret", env.Name)
		require.Equal(t, m.secret.Name, ref.Name)
		require.Contains(t, m.secret.StringData, ref.Key, "the example Secret has no key %s", ref.Key)
		fromSecret[env.Name] = true
	}
	for _, name := range secretSettings {
		require.True(t, fromSecret[name], "%s must come from the Secret", name)
		require.NotContains(t, m.configMap.Data, name, "%s is a secret, not a ConfigMap setting", name)
	}
}

func TestConfigMapRedisURL(t *testing.T) {
	raw := loadManifests(t).configMap.Data["RELAY_REDIS_URL"]
	require.NotEmpty(t, raw, "replicas share state only through Redis")

	u, err := url.Parse(raw)
	require.NoError(t, err)
	require.Contains(t, []string{"redis", "rediss", "redis+sentinel", "redis+cluster"}, u.Scheme)
	require.Nil(t, u.User, "a Redis password belongs in the Secret")
}

func TestSecretExamplePlaceholders(t *testing.T) {
	s := loadManifests(t).secret

	require.Empty(t, s.Data, "the example carries no encoded values")
	require.NotEmpty(t, s.StringData)
	for key, value := range s.StringData {
		require.Contains(t, value, "REPLACE_ME", "%s must be a placeholder", key)
	}
}

func TestServiceTargetsRelayPorts(t *testing.T) {
	m := loadManifests(t)
	c := relayContainer(t, m.deployment)

	require.NotEmpty(t, m.service.Spec.Selector, "a Service without a selector has no endpoints")
	selector := labels.SelectorFromSet(m.service.Spec.Selector)
	require.True(t, selector.Matches(labels.Set(m.deployment.Spec.Template.Labels)))
	var ports []int32
	for _, p := range m.service.Spec.Ports {
		ports = append(ports, containerPort(t, c, p.TargetPort))
	}
	require.ElementsMatch(t, []int32{apiPort, metricsPort}, ports)
}

func TestHorizontalPodAutoscaler(t *testing.T) {
	m := loadManifests(t)
	hpa := m.hpa

	require.Equal(t, "Deployment", hpa.Spec.ScaleTargetRef.Kind)
	require.Equal(t, m.deployment.Name, hpa.Spec.ScaleTargetRef.Name)
	require.NotNil(t, hpa.Spec.MinReplicas)
	require.Equal(t, *m.deployment.Spec.Replicas, *hpa.Spec.MinReplicas)
	require.Greater(t, hpa.Spec.MaxReplicas, *hpa.Spec.MinReplicas)
	require.NotEmpty(t, hpa.Spec.Metrics)
}

func TestPodDisruptionBudget(t *testing.T) {
	m := loadManifests(t)
	pdb := m.pdb

	selector, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	require.NoError(t, err)
	require.True(t, selector.Matches(labels.Set(m.deployment.Spec.Template.Labels)))
	require.NotNil(t, pdb.Spec.MinAvailable)
	// A budget equal to the replica count would block every node drain.
	require.Less(t, pdb.Spec.MinAvailable.IntValue(), int(*m.deployment.Spec.Replicas))
	require.GreaterOrEqual(t, pdb.Spec.MinAvailable.IntValue(), 1)
}

// admitsPort reports whether an ingress rule lets traffic reach port, named
// or numbered. A rule without ports admits every port.
func admitsPort(t *testing.T, c corev1.Container, rule networkingv1.NetworkPolicyIngressRule, port int32) bool {
	t.Helper()

	if len(rule.Ports) == 0 {
		return true
	}
	for _, p := range rule.Ports {
		if p.Port == nil {
			return true
		}
		if containerPort(t, c, *p.Port) == port {
			return true
		}
	}
	return false
}

func TestNetworkPolicyKeepsMetricsInternal(t *testing.T) {
	m := loadManifests(t)
	np := m.networkPolicy
	c := relayContainer(t, m.deployment)

	selector, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	require.NoError(t, err)
	require.True(t, selector.Matches(labels.Set(m.deployment.Spec.Template.Labels)), "the policy does not select the relay's pods")
	require.Contains(t, np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)

	metricsRules := 0
	for i, rule := range np.Spec.Ingress {
		if !admitsPort(t, c, rule, metricsPort) {
			continue
		}
		metricsRules++
		require.NotEmpty(t, rule.From, "ingress rule %d admits the metrics port from everywhere", i)
		for _, peer := range rule.From {
			require.Nil(t, peer.IPBlock, "ingress rule %d admits the metrics port from an address block", i)
			require.NotNil(t, peer.NamespaceSelector, "ingress rule %d admits the metrics port without a namespace selector", i)
			require.False(t, isEmptySelector(peer.NamespaceSelector), "ingress rule %d admits the metrics port from every namespace", i)
		}
	}
	require.Equal(t, 1, metricsRules, "exactly one rule admits the metrics port")
}

func TestNetworkPolicyAdmitsAPIPort(t *testing.T) {
	m := loadManifests(t)
	c := relayContainer(t, m.deployment)

	admitted := false
	for _, rule := range m.networkPolicy.Spec.Ingress {
		if admitsPort(t, c, rule, apiPort) {
			admitted = true
		}
	}
	require.True(t, admitted, "the platform could not reach the relay's API port")
}

func isEmptySelector(s *metav1.LabelSelector) bool {
	return len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}
