{{- define "meridian.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "meridian.labels" -}}
app.kubernetes.io/name: meridian-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
meridian.io/region: {{ .Values.region | quote }}
{{- end -}}

{{- define "meridian.selector" -}}
app.kubernetes.io/name: meridian-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "meridian.serviceAccount" -}}
{{- default (include "meridian.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- /* Required to install or upgrade; `helm lint` (neither) renders without it. */ -}}
{{- define "meridian.region" -}}
{{- if or .Release.IsInstall .Release.IsUpgrade -}}
{{- required "set the region this cluster is: --set region=<one of the manifests' spec.regions[].name>" .Values.region -}}
{{- else -}}
{{- .Values.region -}}
{{- end -}}
{{- end -}}
