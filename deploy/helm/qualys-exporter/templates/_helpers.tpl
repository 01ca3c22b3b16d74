{{/*
Expand the name of the chart.
*/}}
{{- define "qualys-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, truncated to 63 characters (DNS label limit). If the
release name contains the chart name it is used as is.
*/}}
{{- define "qualys-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, as used by the helm.sh/chart label.
*/}}
{{- define "qualys-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels. These never change between upgrades or values: a
Deployment's selector is immutable.
*/}}
{{- define "qualys-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "qualys-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of the `helm test` pod, which the NetworkPolicy lets in.
*/}}
{{- define "qualys-exporter.testSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-test" (include "qualys-exporter.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Common labels, on every object.
*/}}
{{- define "qualys-exporter.labels" -}}
helm.sh/chart: {{ include "qualys-exporter.chart" . }}
{{ include "qualys-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ include "qualys-exporter.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: exporter
app.kubernetes.io/part-of: qualys-exporter
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Image tag: image.tag, else the chart's appVersion.
*/}}
{{- define "qualys-exporter.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
An image reference from {registry, repository, tag, digest}: the registry
(global.imageRegistry wins over the image's own) prefixed, a digest winning
over the tag. Called with (list $root $image $defaultTag).
*/}}
{{- define "qualys-exporter.imageRef" -}}
{{- $root := index . 0 }}
{{- $image := index . 1 }}
{{- $registry := ($root.Values.global).imageRegistry | default $image.registry }}
{{- $repository := $image.repository }}
{{- if $registry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" $registry) $repository }}
{{- end }}
{{- if $image.digest }}
{{- printf "%s@%s" $repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $repository ($image.tag | default (index . 2)) }}
{{- end }}
{{- end }}

{{/*
The exporter's image.
*/}}
{{- define "qualys-exporter.image" -}}
{{- include "qualys-exporter.imageRef" (list . .Values.image .Chart.AppVersion) }}
{{- end }}

{{/*
Name of the ServiceAccount to use.
*/}}
{{- define "qualys-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "qualys-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of the Secret holding the Qualys credentials: the existing one, or the
one this chart creates from qualys.username / qualys.password.
*/}}
{{- define "qualys-exporter.secretName" -}}
{{- if .Values.qualys.existingSecret }}
{{- .Values.qualys.existingSecret }}
{{- else }}
{{- include "qualys-exporter.fullname" . }}
{{- end }}
{{- end }}

{{/*
True when this chart creates the credentials Secret.
*/}}
{{- define "qualys-exporter.createSecret" -}}
{{- if and (not .Values.demo) (not .Values.qualys.existingSecret) }}true{{ end }}
{{- end }}

{{/*
Fails rendering early on credential misconfiguration.
*/}}
{{- define "qualys-exporter.validateCredentials" -}}
{{- if not .Values.demo }}
{{- if .Values.qualys.existingSecret }}
{{- if or .Values.qualys.username .Values.qualys.password }}
{{- fail "qualys.existingSecret is set: leave qualys.username and qualys.password empty (the credentials come from the Secret)" }}
{{- end }}
{{- else if not (and .Values.qualys.username .Values.qualys.password) }}
{{- fail "Qualys credentials missing: set qualys.existingSecret (a Secret with keys username and password), or qualys.username and qualys.password; or demo=true to run against the embedded simulator" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name of the PVC holding --state.dir.
*/}}
{{- define "qualys-exporter.pvcName" -}}
{{- default (include "qualys-exporter.fullname" .) .Values.persistence.existingClaim }}
{{- end }}

{{/*
Namespace for optional monitoring objects: their own override, else the release's.
*/}}
{{- define "qualys-exporter.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride }}
{{- end }}

{{/*
A DNS-1123 name part from a file name: lower case, [a-z0-9-] only.
*/}}
{{- define "qualys-exporter.dnsPart" -}}
{{- regexReplaceAll "[^a-z0-9-]+" (lower .) "-" | trimAll "-" }}
{{- end }}

{{/*
The web config, and what it asks of clients. The facts are "true" or "":
read from webConfig.config when it is inline, else from the webConfig.tls,
clientCertificates and basicAuth values.
*/}}
{{- define "qualys-exporter.webConfigEnabled" -}}
{{- if or .Values.webConfig.config .Values.webConfig.existingSecret }}true{{ end }}
{{- end }}

{{- define "qualys-exporter.webConfigSecretName" -}}
{{- .Values.webConfig.existingSecret | default (printf "%s-web-config" (include "qualys-exporter.fullname" .) | trunc 63 | trimSuffix "-") }}
{{- end }}

{{- define "qualys-exporter.webConfigKey" -}}
{{- if .Values.webConfig.existingSecret }}{{ .Values.webConfig.existingSecretKey }}{{ else }}web-config.yml{{ end }}
{{- end }}

{{- define "qualys-exporter.webTLS" -}}
{{- $tls := (.Values.webConfig.config).tls_server_config | default dict }}
{{- $fromFile := false }}
{{- range list "cert" "cert_file" "key" "key_file" "client_ca" "client_ca_file" "client_auth_type" }}
{{- if index $tls . }}{{ $fromFile = true }}{{ end }}
{{- end }}
{{- if .Values.webConfig.config }}{{ if $fromFile }}true{{ end }}
{{- else if and .Values.webConfig.existingSecret .Values.webConfig.tls }}true{{ end }}
{{- end }}

{{- define "qualys-exporter.webClientCertificates" -}}
{{- $type := ((.Values.webConfig.config).tls_server_config | default dict).client_auth_type | default "" }}
{{- if .Values.webConfig.config }}
{{- if has $type (list "RequireAnyClientCert" "RequireClientCert" "RequireAndVerifyClientCert") }}true{{ end }}
{{- else if and .Values.webConfig.existingSecret .Values.webConfig.clientCertificates }}true{{ end }}
{{- end }}

{{- define "qualys-exporter.webBasicAuth" -}}
{{- if .Values.webConfig.config }}{{ if (.Values.webConfig.config).basic_auth_users }}true{{ end }}
{{- else if and .Values.webConfig.existingSecret .Values.webConfig.basicAuth }}true{{ end }}
{{- end }}

{{/*
Scheme of the exporter's endpoints, for clients: http or https.
*/}}
{{- define "qualys-exporter.scheme" -}}
{{- if include "qualys-exporter.webTLS" . }}https{{ else }}http{{ end }}
{{- end }}

{{/*
A probe: the values' timing, with the chart's handler unless the values give
one. Called with (dict "root" $ "probe" .Values.xProbe "path" "/-/...").
*/}}
{{- define "qualys-exporter.probe" -}}
{{- $probe := deepCopy .probe }}
{{- if not (or $probe.httpGet $probe.tcpSocket $probe.exec $probe.grpc) }}
{{- if include "qualys-exporter.webClientCertificates" .root }}
{{- $_ := set $probe "tcpSocket" (dict "port" "http-metrics") }}
{{- else }}
{{- $_ := set $probe "httpGet" (dict "path" .path "port" "http-metrics" "scheme" (upper (include "qualys-exporter.scheme" .root))) }}
{{- end }}
{{- end }}
{{- tpl (toYaml $probe) .root }}
{{- end }}

{{/*
The Secret with the user name and password the helm test sends.
*/}}
{{- define "qualys-exporter.testBasicAuth" -}}
{{- if .Values.tests.basicAuth.existingSecret }}
{{- toJson (dict "name" .Values.tests.basicAuth.existingSecret "usernameKey" .Values.tests.basicAuth.usernameKey "passwordKey" .Values.tests.basicAuth.passwordKey) }}
{{- else if .Values.serviceMonitor.basicAuth.existingSecret }}
{{- toJson (dict "name" .Values.serviceMonitor.basicAuth.existingSecret "usernameKey" .Values.serviceMonitor.basicAuth.usernameKey "passwordKey" .Values.serviceMonitor.basicAuth.passwordKey) }}
{{- end }}
{{- end }}

{{/*
Fails rendering when the web config and its clients do not fit together:
each message says what to set.
*/}}
{{- define "qualys-exporter.validateWebConfig" -}}
{{- $w := .Values.webConfig }}
{{- if and $w.config $w.existingSecret }}
{{- fail "webConfig: set either config (inline) or existingSecret, not both" }}
{{- end }}
{{- if and $w.tlsSecret (not (include "qualys-exporter.webConfigEnabled" .)) }}
{{- fail "webConfig.tlsSecret is set but there is no web config: set webConfig.config (tls_server_config with cert_file /etc/qualys-exporter/tls/tls.crt, key_file /etc/qualys-exporter/tls/tls.key) or webConfig.existingSecret" }}
{{- end }}
{{- if $w.config }}
{{- range list (list "tls" "qualys-exporter.webTLS" "tls_server_config with a certificate") (list "clientCertificates" "qualys-exporter.webClientCertificates" "tls_server_config.client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert") (list "basicAuth" "qualys-exporter.webBasicAuth" "basic_auth_users") }}
{{- if and (index $w (index . 0)) (not (include (index . 1) $)) }}
{{- fail (printf "webConfig.%s is true but webConfig.config has no %s (with an inline config the chart reads these facts from it)" (index . 0) (index . 2)) }}
{{- end }}
{{- end }}
{{- end }}
{{- $https := eq (include "qualys-exporter.scheme" .) "https" }}
{{- $certs := include "qualys-exporter.webClientCertificates" . }}
{{- $basic := include "qualys-exporter.webBasicAuth" . }}
{{- if .Values.serviceMonitor.enabled }}
{{- $sm := .Values.serviceMonitor }}
{{- if and $basic (not $sm.basicAuth.existingSecret) }}
{{- fail "webConfig turns basic auth on: set serviceMonitor.basicAuth.existingSecret (a Secret with the user name and password in clear, in the ServiceMonitor's namespace), or Prometheus gets 401" }}
{{- end }}
{{- if and $certs (not (and (or $sm.tlsConfig.cert $sm.tlsConfig.certFile) (or $sm.tlsConfig.keySecret $sm.tlsConfig.keyFile))) }}
{{- fail "webConfig requires client certificates: set serviceMonitor.tlsConfig.cert and serviceMonitor.tlsConfig.keySecret (Prometheus' client certificate)" }}
{{- end }}
{{- if and (eq $sm.scheme "http") $https }}
{{- fail "serviceMonitor.scheme is http but webConfig turns TLS on: leave serviceMonitor.scheme empty or set https" }}
{{- end }}
{{- end }}
{{- if .Values.tests.enabled }}
{{- if and $basic (not (include "qualys-exporter.testBasicAuth" .)) }}
{{- fail "webConfig turns basic auth on: set tests.basicAuth.existingSecret or serviceMonitor.basicAuth.existingSecret for the helm test, or tests.enabled=false" }}
{{- end }}
{{- if and $certs (not .Values.tests.tls.clientCertSecret) }}
{{- fail "webConfig requires client certificates: set tests.tls.clientCertSecret (a Secret with tls.crt and tls.key) for the helm test, or tests.enabled=false" }}
{{- end }}
{{- end }}
{{- end }}
