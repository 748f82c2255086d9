{{- define "keywarden.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "keywarden.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "keywarden.selectorLabels" -}}
app.kubernetes.io/name: {{ include "keywarden.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "keywarden.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "keywarden.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "keywarden.postgres" -}}
{{- if .Values.database.postgres.existingSecret -}}true{{- end -}}
{{- end -}}

{{/* Refuse values that cannot work, with a message saying why. */}}
{{- define "keywarden.validate" -}}
{{- if not .Values.masterKey.existingSecret -}}
{{- fail "masterKey.existingSecret is required: a Secret holding the master key (kubectl create secret generic keywarden-master-key --from-file=master.key)" -}}
{{- end -}}
{{- if and (gt (int .Values.replicaCount) 1) (not (include "keywarden.postgres" .)) -}}
{{- fail "replicaCount > 1 needs PostgreSQL (database.postgres.existingSecret): SQLite serves one process on one volume" -}}
{{- end -}}
{{- if and (not (include "keywarden.postgres" .)) (not .Values.persistence.enabled) -}}
{{- fail "SQLite needs persistence.enabled (or use database.postgres): without a volume every restart loses the data" -}}
{{- end -}}
{{- if and .Values.admin.pprof (not .Values.admin.enabled) -}}
{{- fail "admin.pprof needs admin.enabled: pprof is never served on the main port" -}}
{{- end -}}
{{- end -}}
