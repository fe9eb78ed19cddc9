{{/*
The OpenReports grant, in this one place: the rules the operator's --openreports needs
(crates/rampart-operator/src/access.rs, fn openreports), as
manifests/optional/openreports-rbac.yaml grants them.
*/}}
{{- define "rampart.openReports.rules" -}}
- apiGroups: [openreports.io]
  resources: [reports, clusterreports]
  verbs: [list, watch, create, patch]
{{- end }}
