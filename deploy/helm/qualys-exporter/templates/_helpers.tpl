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
Full image reference; a digest, when given, wins over the tag.
*/}}
{{- define "qualys-exporter.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "qualys-exporter.imageTag" .) }}
{{- end }}
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
