// Package deploy checks the Kubernetes manifest of the remotefarm example without a cluster: it
// decodes every object strictly against the Kubernetes API types (an unknown or misspelt field, a
// wrong type or a duplicate key fails) and checks what the nodes rely on. It is a module of its
// own, outside go.work, so that the library's users never download the Kubernetes API; run it with
// GOWORK=off go test ./... here.
package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/yaml"

	cspnet "github.com/gocsp/gocsp/net"
)

const manifest = "remotefarm.yaml"

// decode reads every document of the manifest strictly into its API type.
func decode(t *testing.T) (*corev1.Service, *appsv1.StatefulSet, *batchv1.Job, []byte) {
	t.Helper()
	raw, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	strict := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
	var (
		svc *corev1.Service
		sts *appsv1.StatefulSet
		job *batchv1.Job
	)
	docs := yaml.NewDocumentDecoder(io.NopCloser(bytes.NewReader(raw)))
	buf := make([]byte, len(raw)+1)
	for i := 0; ; i++ {
		n, err := docs.Read(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		doc := buf[:n]
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, gvk, err := strict.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("document %d does not decode strictly: %v", i, err)
		}
		switch o := obj.(type) {
		case *corev1.Service:
			svc = o
		case *appsv1.StatefulSet:
			sts = o
		case *batchv1.Job:
			job = o
		default:
			t.Fatalf("document %d: unexpected %s", i, gvk)
		}
	}
	if svc == nil || sts == nil || job == nil {
		t.Fatalf("want a Service, a StatefulSet and a Job; got %v %v %v", svc != nil, sts != nil, job != nil)
	}
	return svc, sts, job, raw
}

func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(append(out, line...), '\n')
		}
	}
	return out
}

// flag returns the value after name in args.
func flag(args []string, name string) (string, bool) {
	i := slices.Index(args, name)
	if i < 0 || i+1 >= len(args) {
		return "", false
	}
	return args[i+1], true
}

// A misspelt field is caught: the check is strict, not a YAML parse.
func TestStrictDecodingCatchesTypos(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	strict := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Yaml: true, Strict: true})
	bad := "apiVersion: v1\nkind: Service\nmetadata: {name: w}\nspec:\n  clusterIP: None\n  prots: [{name: gocsp, port: 7000}]\n"
	if _, _, err := strict.Decode([]byte(bad), nil, nil); err == nil || !strings.Contains(err.Error(), "prots") {
		t.Fatalf("a misspelt field passed: %v", err)
	}
}

// The workers are found as the SRV lookup that -workers-srv makes (SRVResolver: service name
// "gocsp", protocol "tcp") finds them: a headless Service with a TCP port named gocsp, selecting the
// StatefulSet's pods, which listen on that port; the dispatcher asks for the Service's own domain.
func TestWorkersAreFoundBySRV(t *testing.T) {
	svc, sts, job, _ := decode(t)
	if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("Service %s is not headless (clusterIP %q): DNS would publish one virtual IP, not a record per pod", svc.Name, svc.Spec.ClusterIP)
	}
	i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == "gocsp" })
	if i < 0 {
		t.Fatalf("Service %s has no port named gocsp: there would be no _gocsp._tcp SRV records", svc.Name)
	}
	port := svc.Spec.Ports[i]
	if port.Protocol != "" && port.Protocol != corev1.ProtocolTCP {
		t.Errorf("port gocsp is %s, SRVResolver asks for _tcp", port.Protocol)
	}
	if tp := port.TargetPort; (tp.IntVal != 0 || tp.StrVal != "") && tp.IntVal != port.Port && tp.StrVal != "gocsp" {
		t.Errorf("port gocsp targets %s, not the port the workers listen on", tp.String())
	}
	if sts.Spec.ServiceName != svc.Name {
		t.Errorf("StatefulSet %s is governed by Service %q, not %q: its pods get no DNS names under it", sts.Name, sts.Spec.ServiceName, svc.Name)
	}
	labels := sts.Spec.Template.Labels
	for k, v := range svc.Spec.Selector {
		if labels[k] != v {
			t.Errorf("Service selects %s=%s, the StatefulSet's pods have %s=%q", k, v, k, labels[k])
		}
	}
	for k, v := range sts.Spec.Selector.MatchLabels {
		if labels[k] != v {
			t.Errorf("StatefulSet selects %s=%s, its pods have %s=%q", k, v, k, labels[k])
		}
	}
	worker := sts.Spec.Template.Spec.Containers[0]
	listen, ok := flag(worker.Args, "-listen")
	if !ok || !strings.HasSuffix(listen, fmt.Sprintf(":%d", port.Port)) {
		t.Errorf("workers listen on %q, the Service's gocsp port is %d", listen, port.Port)
	}
	if !slices.ContainsFunc(worker.Ports, func(p corev1.ContainerPort) bool { return p.Name == "gocsp" && p.ContainerPort == port.Port }) {
		t.Errorf("the worker container does not declare port gocsp = %d", port.Port)
	}

	// What the records look like: one per pod, <statefulset>-<i>.<service>.<namespace>.svc.<domain>.
	ns := job.Namespace
	if ns == "" {
		ns = "default"
	}
	if sts.Namespace != job.Namespace {
		t.Errorf("the StatefulSet is in namespace %q, the dispatcher in %q", sts.Namespace, job.Namespace)
	}
	domain := fmt.Sprintf("%s.%s.svc.cluster.local", svc.Name, ns)
	dispatcher := job.Spec.Template.Spec.Containers[0]
	srv, ok := flag(dispatcher.Args, "-workers-srv")
	if !ok || srv != domain {
		t.Errorf("the dispatcher looks up _gocsp._tcp.%s; the Service publishes _gocsp._tcp.%s", srv, domain)
	}
	replicas := int32(1)
	if sts.Spec.Replicas != nil {
		replicas = *sts.Spec.Replicas
	}

	// The records the cluster's DNS publishes for the Service, as Kubernetes names them
	// (_<port name>._<protocol>.<service domain>, one per pod of the StatefulSet), served on
	// loopback, and the dispatcher's lookup through the library's own SRVResolver.
	proto := strings.ToLower(string(port.Protocol))
	if proto == "" {
		proto = "tcp"
	}
	var records []srvRecord
	var want []string
	for i := range replicas {
		pod := fmt.Sprintf("%s-%d.%s", sts.Name, i, domain)
		records = append(records, srvRecord{prio: 0, weight: 1, port: uint16(port.Port), target: pod + "."})
		want = append(want, fmt.Sprintf("%s:%d", pod, port.Port))
	}
	dns := dnsServer(t, map[string][]srvRecord{fmt.Sprintf("_%s._%s.%s", port.Name, proto, domain): records})
	got, err := cspnet.SRVResolver{DNS: dns}.Resolve(context.Background(), srv)
	if err != nil {
		t.Fatalf("the dispatcher's lookup of %q: %v", srv, err)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the dispatcher finds %v; the StatefulSet's pods are %v", got, want)
	}
}

// Every node reads the shared secret where -secret-file says: the directory is a read-only
// mount of a Secret volume, and the file is the key the Secret is created with.
func TestSecretMountedWhereRead(t *testing.T) {
	_, sts, job, raw := decode(t)
	for _, pod := range []struct {
		name string
		spec corev1.PodSpec
	}{{"worker", sts.Spec.Template.Spec}, {"dispatcher", job.Spec.Template.Spec}} {
		c := pod.spec.Containers[0]
		file, ok := flag(c.Args, "-secret-file")
		if !ok {
			t.Errorf("%s: no -secret-file: a node reachable from other hosts needs a secret", pod.name)
			continue
		}
		dir, key := path.Split(file)
		dir = strings.TrimSuffix(dir, "/")
		m := slices.IndexFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == dir })
		if m < 0 {
			t.Errorf("%s: nothing is mounted at %s, where -secret-file %s is read", pod.name, dir, file)
			continue
		}
		mount := c.VolumeMounts[m]
		if !mount.ReadOnly {
			t.Errorf("%s: the secret's mount is writable", pod.name)
		}
		v := slices.IndexFunc(pod.spec.Volumes, func(v corev1.Volume) bool { return v.Name == mount.Name })
		if v < 0 || pod.spec.Volumes[v].Secret == nil {
			t.Errorf("%s: volume %q is not a Secret", pod.name, mount.Name)
			continue
		}
		sec := pod.spec.Volumes[v].Secret
		if len(sec.Items) > 0 && !slices.ContainsFunc(sec.Items, func(it corev1.KeyToPath) bool { return it.Path == key }) {
			t.Errorf("%s: the Secret volume's items do not put a file at %s", pod.name, key)
		}
		// The manifest's instructions create the Secret; its key must be the file's name.
		create := fmt.Sprintf("kubectl create secret generic %s --from-file=%s=", sec.SecretName, key)
		if !bytes.Contains(raw, []byte(create)) {
			t.Errorf("%s: reads key %q of Secret %q, which the manifest's instructions (%q) do not create", pod.name, key, sec.SecretName, create)
		}
	}
}
