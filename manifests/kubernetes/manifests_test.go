// Package kubernetes holds the Kubernetes manifests that run Threadesk as two replicas, and
// this test, which decodes each of them strictly with the Kubernetes API types and holds them
// to the app: its settings, its port, its probes and its shutdown.
package kubernetes

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/threadesk/threadesk/internal/kb"
	"github.com/threadesk/threadesk/internal/policy"
)

// configGo is the file whose Config struct's envconfig tags are the app's settings.
const configGo = "../../cmd/threadesk/config.go"

// httpShutdown is how long Main.Close (cmd/threadesk/main.go) lets the HTTP server finish its
// requests before the deliveries in flight get SHUTDOWN_TIMEOUT: a stop can take both.
const httpShutdown = 10 * time.Second

// slackRequired are the settings a Slack desk over the Events API cannot start without (the
// checks of Config.problems): the app, its signature check, its channel and a lasting Redis.
var slackRequired = []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_TRIAGE_CHANNEL", "REDIS_URL"}

// secretSettings are the settings that must come from the Secret, never from a ConfigMap or
// the Deployment's text.
var secretSettings = []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "REDIS_URL",
	"MATTERMOST_TOKEN", "MATTERMOST_COMMAND_TOKEN"}

// placeholder marks every value of secret.yaml, so that a real secret is never committed there.
const placeholder = "REPLACE-ME"

// kustomization is the part of kustomization.yaml these manifests use; decoding it strictly
// into this struct fails on any other field, which this test would then have to learn.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
	} `json:"images"`
}

// objects is every manifest of the directory, decoded.
type objects struct {
	deployment appsv1.Deployment
	service    corev1.Service
	pdb        policyv1.PodDisruptionBudget
	settings   corev1.ConfigMap // threadesk-settings: environment variables
	files      corev1.ConfigMap // threadesk-files: the desk file and the knowledge base
	secret     corev1.Secret
	kust       kustomization
}

// decode reads the manifest file into v strictly: an unknown or repeated field is an error.
func decode(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func load(t *testing.T) *objects {
	t.Helper()
	var o objects
	decode(t, "deployment.yaml", &o.deployment)
	decode(t, "service.yaml", &o.service)
	decode(t, "pdb.yaml", &o.pdb)
	decode(t, "settings.yaml", &o.settings)
	decode(t, "files.yaml", &o.files)
	decode(t, "secret.yaml", &o.secret)
	decode(t, "kustomization.yaml", &o.kust)
	for _, k := range []struct {
		file, got, want string
	}{
		{"deployment.yaml", o.deployment.APIVersion + " " + o.deployment.Kind, "apps/v1 Deployment"},
		{"service.yaml", o.service.APIVersion + " " + o.service.Kind, "v1 Service"},
		{"pdb.yaml", o.pdb.APIVersion + " " + o.pdb.Kind, "policy/v1 PodDisruptionBudget"},
		{"settings.yaml", o.settings.APIVersion + " " + o.settings.Kind, "v1 ConfigMap"},
		{"files.yaml", o.files.APIVersion + " " + o.files.Kind, "v1 ConfigMap"},
		{"secret.yaml", o.secret.APIVersion + " " + o.secret.Kind, "v1 Secret"},
		{"kustomization.yaml", o.kust.APIVersion + " " + o.kust.Kind, "kustomize.config.k8s.io/v1beta1 Kustomization"},
	} {
		if k.got != k.want {
			t.Fatalf("%s: apiVersion and kind %q, want %q", k.file, k.got, k.want)
		}
	}
	if n := len(o.deployment.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("deployment.yaml: %d containers, want 1", n)
	}
	return &o
}

func (o *objects) container() corev1.Container { return o.deployment.Spec.Template.Spec.Containers[0] }

// appSettings reads the app's settings, name to default, from the envconfig tags of the
// Config struct in cmd/threadesk/config.go.
func appSettings(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), configGo, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Config" {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			t.Fatalf("%s: Config is not a struct", configGo)
		}
		for _, field := range st.Fields.List {
			if field.Tag == nil {
				continue
			}
			raw, err := strconv.Unquote(field.Tag.Value)
			if err != nil {
				t.Fatalf("%s: tag %s: %v", configGo, field.Tag.Value, err)
			}
			tag := reflect.StructTag(raw)
			if name := tag.Get("envconfig"); name != "" {
				settings[name] = tag.Get("default")
			}
		}
		return false
	})
	// A parse that found nothing would make every check below pass.
	for _, name := range []string{"HTTP_ADDR", "INSTANCE_NAME", "SHUTDOWN_TIMEOUT", "DESK_CONFIG", "KB_PATH"} {
		if _, ok := settings[name]; !ok {
			t.Fatalf("%s: no setting %s among the Config struct's envconfig tags (found %d)", configGo, name, len(settings))
		}
	}
	return settings
}

// source is where the Deployment takes one environment variable from.
type source struct {
	from  string // "env", "configmap" or "secret"
	value string // the literal value (env value, ConfigMap or Secret data); "" with valueFrom
	ref   *corev1.EnvVarSource
}

// environment is every variable the Deployment's container gets, by name, with every place
// it is set; the ConfigMaps and Secrets named by envFrom must be among the manifests.
func (o *objects) environment(t *testing.T) map[string][]source {
	t.Helper()
	env := map[string][]source{}
	c := o.container()
	for _, e := range c.EnvFrom {
		if e.Prefix != "" {
			t.Errorf("envFrom with prefix %q: the app reads its settings without one", e.Prefix)
		}
		switch {
		case e.ConfigMapRef != nil && e.ConfigMapRef.Name == o.settings.Name:
			for k, v := range o.settings.Data {
				env[k] = append(env[k], source{from: "configmap", value: v})
			}
		case e.SecretRef != nil && e.SecretRef.Name == o.secret.Name:
			for k, v := range o.secret.StringData {
				env[k] = append(env[k], source{from: "secret", value: v})
			}
			for k, v := range o.secret.Data {
				env[k] = append(env[k], source{from: "secret", value: string(v)})
			}
		default:
			t.Errorf("envFrom %+v names no ConfigMap or Secret of these manifests", e)
		}
	}
	for _, e := range c.Env {
		s := source{from: "env", value: e.Value, ref: e.ValueFrom}
		if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil {
			if r.SecretKeyRef.Name != o.secret.Name {
				t.Errorf("env %s: secretKeyRef to %q, not a Secret of these manifests", e.Name, r.SecretKeyRef.Name)
			}
			s = source{from: "secret", value: o.secret.StringData[r.SecretKeyRef.Key]}
		}
		if r := e.ValueFrom; r != nil && r.ConfigMapKeyRef != nil {
			if r.ConfigMapKeyRef.Name != o.settings.Name {
				t.Errorf("env %s: configMapKeyRef to %q, not the settings ConfigMap", e.Name, r.ConfigMapKeyRef.Name)
			}
			s = source{from: "configmap", value: o.settings.Data[r.ConfigMapKeyRef.Key]}
		}
		env[e.Name] = append(env[e.Name], s)
	}
	return env
}

// value is the literal value of the environment variable name, and whether it has one.
func value(env map[string][]source, name string) (string, bool) {
	if s := env[name]; len(s) == 1 && s[0].ref == nil {
		return s[0].value, true
	}
	return "", false
}

// containerPort is the number of the container's port that ref (a probe's or a Service's
// port: a name or a number) names.
func containerPort(c corev1.Container, ref string) (int32, bool) {
	for _, p := range c.Ports {
		if p.Name != "" && p.Name == ref || strconv.Itoa(int(p.ContainerPort)) == ref {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

// selects reports whether a selector of matchLabels only matches the labels.
func selects(t *testing.T, what string, matchLabels map[string]string, exprs int, labels map[string]string) bool {
	t.Helper()
	if len(matchLabels) == 0 || exprs > 0 {
		t.Errorf("%s: selector must be matchLabels only, and not empty", what)
		return false
	}
	for k, v := range matchLabels {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// show is the value p points to, or "unset".
func show[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

// String shows a source as a failure message should: where the value comes from and what it is.
func (s source) String() string {
	switch {
	case s.ref != nil && s.ref.FieldRef != nil:
		return s.from + " fieldRef " + s.ref.FieldRef.FieldPath
	case s.ref != nil:
		return s.from + " valueFrom " + s.ref.String()
	case s.from == "secret":
		// A filled-in secret.yaml must not end up in a test's output.
		return "secret"
	}
	return s.from + " " + strconv.Quote(s.value)
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	o := load(t)
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return f == "kustomization.yaml" })
	got := slices.Sorted(slices.Values(o.kust.Resources))
	if !slices.Equal(got, files) {
		t.Errorf("kustomization.yaml resources %v, want every manifest of the directory %v", got, files)
	}
	image := o.container().Image
	repo := image
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		repo = image[:i]
	}
	if len(o.kust.Images) != 1 || o.kust.Images[0].Name != repo {
		t.Errorf("kustomization.yaml images %+v, want one entry named %s, the Deployment's image", o.kust.Images, repo)
	}
}

func TestDeploymentRunsTwoReplicas(t *testing.T) {
	o := load(t)
	if r := o.deployment.Spec.Replicas; r == nil || *r != 2 {
		t.Errorf("replicas %s, want 2", show(r))
	}
	pod := o.deployment.Spec.Template
	if s := o.deployment.Spec.Selector; s == nil || !selects(t, "Deployment", s.MatchLabels, len(s.MatchExpressions), pod.Labels) {
		t.Errorf("the Deployment's selector does not select its pods' labels %v", pod.Labels)
	}
}

func TestProbesAndListenAddressUseTheContainerPort(t *testing.T) {
	o := load(t)
	c := o.container()
	if len(c.Ports) != 1 {
		t.Fatalf("container ports %+v, want one", c.Ports)
	}
	port := c.Ports[0].ContainerPort

	addr, ok := value(o.environment(t), "HTTP_ADDR")
	if !ok {
		addr = appSettings(t)["HTTP_ADDR"]
	}
	if _, p, err := net.SplitHostPort(addr); err != nil || p != strconv.Itoa(int(port)) {
		t.Errorf("HTTP_ADDR %q does not listen on the container port %d", addr, port)
	}

	for _, p := range []struct {
		name     string
		probe    *corev1.Probe
		path     string
		optional bool
	}{
		{"livenessProbe", c.LivenessProbe, "/healthz", false},
		{"readinessProbe", c.ReadinessProbe, "/readyz", false},
		{"startupProbe", c.StartupProbe, "/healthz", true},
	} {
		if p.probe == nil {
			if !p.optional {
				t.Errorf("no %s", p.name)
			}
			continue
		}
		get := p.probe.HTTPGet
		if get == nil {
			t.Errorf("%s is not an HTTP GET", p.name)
			continue
		}
		if get.Path != p.path {
			t.Errorf("%s: path %q, want %s", p.name, get.Path, p.path)
		}
		if n, ok := containerPort(c, get.Port.String()); !ok || n != port {
			t.Errorf("%s: port %s is not the container port %d", p.name, get.Port.String(), port)
		}
	}
}

func TestEnvironmentIsTheAppsSettings(t *testing.T) {
	o := load(t)
	settings := appSettings(t)
	env := o.environment(t)
	for _, name := range slices.Sorted(maps.Keys(env)) {
		if _, ok := settings[name]; !ok {
			t.Errorf("%s is set but is no setting of the app (%s)", name, configGo)
		}
		if n := len(env[name]); n > 1 {
			t.Errorf("%s is set %d times (%v)", name, n, env[name])
		}
		for _, s := range env[name] {
			if slices.Contains(secretSettings, name) && s.from != "secret" {
				t.Errorf("%s comes from the %s, not the Secret", name, s.from)
			}
		}
	}
	for _, name := range slackRequired {
		if v, ok := value(env, name); !ok || strings.TrimSpace(v) == "" {
			t.Errorf("%s, required for Slack, is not set", name)
		}
	}
	for name, v := range o.secret.StringData {
		if !strings.Contains(v, placeholder) {
			t.Errorf("secret.yaml: %s is not a %s placeholder", name, placeholder)
		}
	}
	if len(o.secret.Data) > 0 {
		t.Error("secret.yaml: use stringData with placeholders, not data")
	}

	inst := env["INSTANCE_NAME"]
	if len(inst) != 1 || inst[0].ref == nil || inst[0].ref.FieldRef == nil || inst[0].ref.FieldRef.FieldPath != "metadata.name" {
		t.Errorf("INSTANCE_NAME %v, want the pod's name (fieldRef metadata.name)", inst)
	}
}

func TestSecurityContext(t *testing.T) {
	o := load(t)
	pod := o.deployment.Spec.Template.Spec.SecurityContext
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	c := o.container().SecurityContext
	if c == nil {
		t.Fatal("the container has no securityContext")
	}
	// The container's value wins over the pod's.
	runAsNonRoot, runAsUser, seccomp := pod.RunAsNonRoot, pod.RunAsUser, pod.SeccompProfile
	if c.RunAsNonRoot != nil {
		runAsNonRoot = c.RunAsNonRoot
	}
	if c.RunAsUser != nil {
		runAsUser = c.RunAsUser
	}
	if c.SeccompProfile != nil {
		seccomp = c.SeccompProfile
	}
	if runAsNonRoot == nil || !*runAsNonRoot {
		t.Error("runAsNonRoot is not true")
	}
	if runAsUser == nil || *runAsUser == 0 {
		t.Errorf("runAsUser %s, want a fixed non-root UID", show(runAsUser))
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccompProfile %+v, want RuntimeDefault", seccomp)
	}
	if c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if c.Privileged != nil && *c.Privileged {
		t.Error("the container is privileged")
	}
	if c.Capabilities == nil || !slices.Equal(c.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(c.Capabilities.Add) > 0 {
		t.Errorf("capabilities %+v, want drop ALL and add none", c.Capabilities)
	}
}

func TestResourcesAreRequestedAndLimited(t *testing.T) {
	o := load(t)
	r := o.container().Resources
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := r.Requests[name]
		limit, okLimit := r.Limits[name]
		if !okReq || !okLimit || req.IsZero() || limit.IsZero() {
			t.Errorf("%s: request %v and limit %v, want both", name, r.Requests[name], r.Limits[name])
			continue
		}
		if req.Cmp(limit) > 0 {
			t.Errorf("%s: request %s above the limit %s", name, req.String(), limit.String())
		}
	}
}

func TestServiceTargetsThePods(t *testing.T) {
	o := load(t)
	pod := o.deployment.Spec.Template
	if !selects(t, "Service", o.service.Spec.Selector, 0, pod.Labels) {
		t.Errorf("the Service's selector %v does not select the pods' labels %v", o.service.Spec.Selector, pod.Labels)
	}
	if len(o.service.Spec.Ports) != 1 {
		t.Fatalf("Service ports %+v, want one", o.service.Spec.Ports)
	}
	p := o.service.Spec.Ports[0]
	if p.Port != 80 {
		t.Errorf("Service port %d, want 80", p.Port)
	}
	want := o.container().Ports[0].ContainerPort
	if n, ok := containerPort(o.container(), p.TargetPort.String()); !ok || n != want {
		t.Errorf("Service targetPort %s is not the container port %d", p.TargetPort.String(), want)
	}
}

func TestDisruptionBudgetKeepsOneReplica(t *testing.T) {
	o := load(t)
	if m := o.pdb.Spec.MinAvailable; m == nil || m.String() != "1" {
		t.Errorf("minAvailable %v, want 1", m)
	}
	if o.pdb.Spec.MaxUnavailable != nil {
		t.Error("set minAvailable only, not maxUnavailable too")
	}
	s := o.pdb.Spec.Selector
	if s == nil || !selects(t, "PodDisruptionBudget", s.MatchLabels, len(s.MatchExpressions), o.deployment.Spec.Template.Labels) {
		t.Errorf("the PodDisruptionBudget's selector does not select the pods' labels %v", o.deployment.Spec.Template.Labels)
	}
}

// mountedFile finds the ConfigMap key the file at p of the container is: a volume of a
// ConfigMap of these manifests, mounted whole at p's directory.
func (o *objects) mountedFile(t *testing.T, setting, p string) (string, bool) {
	t.Helper()
	dir, key := path.Split(p)
	dir = path.Clean(dir)
	for _, m := range o.container().VolumeMounts {
		if path.Clean(m.MountPath) != dir || m.SubPath != "" {
			continue
		}
		for _, v := range o.deployment.Spec.Template.Spec.Volumes {
			if v.Name != m.Name {
				continue
			}
			if v.ConfigMap == nil || v.ConfigMap.Name != o.files.Name || len(v.ConfigMap.Items) > 0 {
				t.Errorf("%s: volume %s is not the whole ConfigMap %s", setting, v.Name, o.files.Name)
				return "", false
			}
			data, ok := o.files.Data[key]
			if !ok {
				t.Errorf("%s=%s: ConfigMap %s has no key %s", setting, p, o.files.Name, key)
			}
			return data, ok
		}
	}
	t.Errorf("%s=%s: no ConfigMap volume is mounted at %s", setting, p, dir)
	return "", false
}

func TestDeskFileAndKnowledgeBaseAreMountedAndValid(t *testing.T) {
	o := load(t)
	env := o.environment(t)
	deskPath, ok1 := value(env, "DESK_CONFIG")
	kbPath, ok2 := value(env, "KB_PATH")
	if !ok1 || !ok2 {
		t.Fatalf("DESK_CONFIG (%q) and KB_PATH (%q) must both be set to a path", deskPath, kbPath)
	}
	desk, ok := o.mountedFile(t, "DESK_CONFIG", deskPath)
	if !ok {
		return
	}
	p, err := policy.Parse(deskPath, []byte(desk))
	if err != nil {
		t.Fatalf("the desk file in files.yaml: %v", err)
	}
	base, ok := o.mountedFile(t, "KB_PATH", kbPath)
	if !ok {
		return
	}
	if _, err := kb.Parse(kbPath, []byte(base), string(p.Language)); err != nil {
		t.Errorf("the knowledge base in files.yaml: %v", err)
	}
}

func TestGracePeriodCoversTheShutdown(t *testing.T) {
	o := load(t)
	def, err := time.ParseDuration(appSettings(t)["SHUTDOWN_TIMEOUT"])
	if err != nil {
		t.Fatalf("SHUTDOWN_TIMEOUT's default: %v", err)
	}
	timeout := def
	if v, ok := value(o.environment(t), "SHUTDOWN_TIMEOUT"); ok {
		if timeout, err = time.ParseDuration(v); err != nil {
			t.Fatalf("SHUTDOWN_TIMEOUT=%q: %v", v, err)
		}
	}
	g := o.deployment.Spec.Template.Spec.TerminationGracePeriodSeconds
	if g == nil {
		t.Fatal("no terminationGracePeriodSeconds (Kubernetes' default, 30 s, is too short)")
	}
	grace := time.Duration(*g) * time.Second
	for _, d := range []time.Duration{def, timeout} {
		if grace <= d+httpShutdown {
			t.Errorf("terminationGracePeriodSeconds %s does not exceed SHUTDOWN_TIMEOUT %s plus the HTTP server's %s", grace, d, httpShutdown)
		}
	}
}
