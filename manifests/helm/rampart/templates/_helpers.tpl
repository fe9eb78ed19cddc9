{{/*
Object names: the release's when it already says "rampart" (`helm install rampart` names
everything as manifests/ does), else "<release>-rampart"; 63 characters at most, the limit
of a label value and of most names.
*/}}
{{- define "rampart.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rampart.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "rampart.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* A name with a suffix, kept within 63 characters. */}}
{{- define "rampart.suffixed" -}}
{{- $full := include "rampart.fullname" .root }}
{{- printf "%s-%s" ($full | trunc (int (sub 62 (len .suffix))) | trimSuffix "-") .suffix }}
{{- end }}

{{/*
What selects the operator's pods. app.kubernetes.io/name is what manifests/ selects on;
the instance keeps two releases in one namespace apart.
*/}}
{{- define "rampart.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rampart.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Every object's labels: the selector's and Helm's own. */}}
{{- define "rampart.labels" -}}
{{ include "rampart.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The ServiceAccount the operator runs as, the subject of every grant. */}}
{{- define "rampart.serviceAccountSubject" -}}
- {kind: ServiceAccount, name: {{ include "rampart.fullname" . }}, namespace: {{ .Release.Namespace }}}
{{- end }}

{{- define "rampart.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
