{{/* The name of a service's objects: <release>-<service>, at most 63 characters. */}}
{{- define "keten.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "keten.labels" -}}
app.kubernetes.io/part-of: keten
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "keten.selectorLabels" . }}
{{- end -}}

{{- define "keten.selectorLabels" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{- define "keten.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The non-secret settings of one service (its ConfigMap), as a dict of strings. */}}
{{- define "keten.config" -}}
{{- $root := .root -}}
{{- $svc := .svc -}}
{{- $c := dict
  "KETEN_KAFKA_BOOTSTRAP_SERVERS" $root.Values.kafka.bootstrapServers
  "KETEN_KAFKA_REPLICATION_FACTOR" (toString $root.Values.kafka.replicationFactor)
  "KETEN_KAFKA_PARTITIONS" (toString $root.Values.kafka.partitions)
  "KETEN_DEAD_LETTER_TOPIC" $root.Values.kafka.deadLetterTopic
  "KETEN_HTTP_HOST" "0.0.0.0"
  "KETEN_HTTP_PORT" (toString ($svc.port | default 8000))
  "KETEN_LOG_LEVEL" $root.Values.log.level
  "KETEN_LOG_JSON" (toString $root.Values.log.json)
  "KETEN_OTEL_EXPORTER" $root.Values.otel.exporter
  "KETEN_PARTIES_FILE" "/etc/keten/parties.json"
  "KETEN_CONTROL_API" (toString ($svc.controlApi | default false))
  "KETEN_SANDBOX" (toString ($svc.sandbox | default false))
-}}
{{- with $root.Values.kafka.topicPrefix }}{{ $_ := set $c "KETEN_TOPIC_PREFIX" . }}{{ end -}}
{{- $sec := $root.Values.kafka.security -}}
{{- $_ := set $c "KETEN_KAFKA_SECURITY_PROTOCOL" $sec.protocol -}}
{{- if hasPrefix "SASL_" $sec.protocol }}{{ $_ := set $c "KETEN_KAFKA_SASL_MECHANISM" $sec.saslMechanism }}{{ end -}}
{{- if and $sec.tls.secretName (hasSuffix "SSL" $sec.protocol) }}
{{- with $sec.tls.caKey }}{{ $_ := set $c "KETEN_KAFKA_SSL_CAFILE" (printf "/etc/keten-kafka/%s" .) }}{{ end -}}
{{- with $sec.tls.certKey }}{{ $_ := set $c "KETEN_KAFKA_SSL_CERTFILE" (printf "/etc/keten-kafka/%s" .) }}{{ end -}}
{{- with $sec.tls.keyKey }}{{ $_ := set $c "KETEN_KAFKA_SSL_KEYFILE" (printf "/etc/keten-kafka/%s" .) }}{{ end -}}
{{- end -}}
{{- with ($svc.oin | default $root.Values.oin) }}{{ $_ := set $c "KETEN_OIN" (toString .) }}{{ end -}}
{{- with $svc.publicUrl }}{{ $_ := set $c "KETEN_PUBLIC_URL" . }}{{ end -}}
{{- if eq .name "notificatie-router" }}
{{- with $root.Values.router.kafkaSinks.bootstrapServers }}{{ $_ := set $c "KETEN_ROUTER_KAFKA_BOOTSTRAP" . }}{{ end -}}
{{- with $root.Values.router.console }}{{ if .oidcIssuer }}
{{- $_ := set $c "KETEN_ROUTER_CONSOLE_OIDC_ISSUER" .oidcIssuer -}}
{{- $_ := set $c "KETEN_ROUTER_CONSOLE_OIDC_CLIENT_ID" .clientId -}}
{{- $_ := set $c "KETEN_ROUTER_CONSOLE_BASIS_URL" (required "router.console.basisUrl is required with oidcIssuer" .basisUrl) -}}
{{- $_ := set $c "KETEN_ROUTER_CONSOLE_OIN" (required "router.console.oin is required with oidcIssuer" .oin | toString) -}}
{{- $_ := set $c "KETEN_ROUTER_CONSOLE_CLAIM" .claim -}}
{{- $_ := set $c "KETEN_ROUTER_CONSOLE_SCOPE" .scope -}}
{{- end }}{{ end -}}
{{- end -}}
{{- range $key, $value := ($svc.config | default dict) }}
{{- if ne (toString $value) "" }}{{ $_ := set $c $key (toString $value) }}{{ end -}}
{{- end -}}
{{- toYaml $c -}}
{{- end -}}
