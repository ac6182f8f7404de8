/*
 * Rules for EC2: security group rules open to the internet (0.0.0.0/0 or
 * ::/0), written inline in AWS::EC2::SecurityGroup or as separate
 * SecurityGroupIngress/Egress resources, with ports given one by one or as
 * ranges; unrestricted egress; rules without descriptions; subnets and
 * instances with public addresses; credentials in user data; IMDSv1;
 * unencrypted EBS volumes; VPCs without flow logs; endpoint services that
 * accept anyone.
 *
 * Admin and database ports open to the internet are errors (EC2-001); any
 * other port open to it is a warning (EC2-002), since a public load
 * balancer's 443 is normal.
 */
#include "core/common.h"

#include <ctype.h>

#include "core/buf.h"
#include "core/enc.h"
#include "policy/rules/rules.h"

static const char *const ingress_types[] = {
	"AWS::EC2::SecurityGroup",
	"AWS::EC2::SecurityGroupIngress",
	NULL,
};
static const char *const egress_types[] = {
	"AWS::EC2::SecurityGroup",
	"AWS::EC2::SecurityGroupEgress",
	NULL,
};
static const char *const subnet_types[] = {"AWS::EC2::Subnet", NULL};

static const struct {
	int port;
	const char *name;
} sensitive[] = {
	{22, "SSH"},	      {3389, "RDP"},	       {3306, "MySQL"},	   {5432, "PostgreSQL"},
	{1433, "SQL Server"}, {1521, "Oracle"},	       {27017, "MongoDB"}, {6379, "Redis"},
	{11211, "Memcached"}, {9200, "Elasticsearch"}, {5439, "Redshift"}, {9042, "Cassandra"},
};

/* The open CIDR of a rule ("0.0.0.0/0", "::/0"), or NULL. */
static const char *open_cidr(const struct tval *rule)
{
	const struct tval *v6 = tval_get(rule, "CidrIpv6");

	if (tval_str_eq(tval_get(rule, "CidrIp"), "0.0.0.0/0"))
		return "0.0.0.0/0";
	if (tval_str_eq(v6, "::/0") || tval_str_eq(v6, "0:0:0:0:0:0:0:0/0") ||
	    tval_str_eq(v6, "0000:0000:0000:0000:0000:0000:0000:0000/0"))
		return "::/0";
	return NULL;
}

static bool all_protocols(const struct tval *rule)
{
	const char *p = tval_scalar(tval_get(rule, "IpProtocol"));

	return p && (!strcmp(p, "-1") || !strcasecmp(p, "all"));
}

/* The rule's port range; false for ICMP and unknown ports. */
static bool port_range(const struct tval *rule, long long *lo, long long *hi)
{
	const char *p = tval_scalar(tval_get(rule, "IpProtocol"));

	if (all_protocols(rule)) {
		*lo = 0;
		*hi = 65535;
		return true;
	}
	if (!p ||
	    (strcasecmp(p, "tcp") && strcasecmp(p, "udp") && strcmp(p, "6") && strcmp(p, "17")))
		return false;
	if (tval_int(tval_get(rule, "FromPort"), lo))
		*lo = 0;
	if (tval_int(tval_get(rule, "ToPort"), hi))
		*hi = 65535;
	if (*lo == -1 && *hi == -1) {
		*lo = 0;
		*hi = 65535;
	}
	return true;
}

struct sg_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
	bool errors; /* EC2-001: sensitive ports; else EC2-002: the others */
};

static const char *noun(const struct template_resource *r)
{
	if (!strcmp(r->type, "AWS::EC2::SecurityGroupIngress"))
		return "ingress rule";
	if (!strcmp(r->type, "AWS::EC2::SecurityGroupEgress"))
		return "egress rule";
	return "security group";
}

/* Where to report a rule: the list item, or the resource for a rule resource. */
static const struct tpos *rule_pos(const struct tval *rule, const struct template_resource *r)
{
	return rule == r->props ? &r->pos : pr_pos(rule, r);
}

/*
 * checkov has one check per port (22, 3389, 80); a rule's finding carries
 * the ids of those its range includes, so an all-ports rule fails all three.
 */
static void port_ids(long long lo, long long hi, bool sensitive_only, char *out, size_t len)
{
	static const struct {
		int port;
		bool sensitive;
		const char *id;
	} ids[] = {
		{22, true, "CKV_AWS_24"}, {3389, true, "CKV_AWS_25"}, {80, false, "CKV_AWS_260"}};

	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		if (ids[i].port < lo || ids[i].port > hi || (sensitive_only && !ids[i].sensitive))
			continue;
		snprintf(out + strlen(out), len - strlen(out), "%s%s", *out ? "," : "", ids[i].id);
	}
}

static void ingress_rule(const struct tval *rule, void *arg)
{
	struct sg_ctx *s = arg;
	const char *cidr = open_cidr(rule);
	long long lo, hi;
	char ports[160] = "", ids[64];
	size_t hits = 0;

	if (!cidr || !port_range(rule, &lo, &hi))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(sensitive); i++) {
		if (sensitive[i].port < lo || sensitive[i].port > hi)
			continue;
		if (strlen(ports) < sizeof(ports) - 32)
			snprintf(ports + strlen(ports), sizeof(ports) - strlen(ports), "%s%d (%s)",
				 hits ? ", " : "", sensitive[i].port, sensitive[i].name);
		hits++;
	}
	port_ids(lo, hi, false, ids, sizeof(ids));
	if (s->errors && hits && lo == 0 && hi == 65535)
		policy_flag_as(s->cx, s->r, rule_pos(rule, s->r), ids, NULL,
			       "%s '%s' opens every port, SSH and database ports included, to %s; "
			       "allow only the ports and address ranges needed",
			       noun(s->r), s->r->id, cidr);
	else if (s->errors && hits)
		policy_flag_as(s->cx, s->r, rule_pos(rule, s->r), ids, NULL,
			       "%s '%s' opens %s %s to %s; allow only known address ranges or use "
			       "Session Manager",
			       noun(s->r), s->r->id, hits > 1 ? "ports" : "port", ports, cidr);
	if (!s->errors && !hits) {
		if (lo == hi)
			snprintf(ports, sizeof(ports), "port %lld", lo);
		else
			snprintf(ports, sizeof(ports), "ports %lld-%lld", lo, hi);
		policy_flag_as(s->cx, s->r, rule_pos(rule, s->r), ids, NULL,
			       "%s '%s' opens %s to %s; restrict the source if the service is not "
			       "meant for the whole internet",
			       noun(s->r), s->r->id, ports, cidr);
	}
}

static void each_ingress(struct policy_ctx *cx, const struct template_resource *r, bool errors)
{
	struct sg_ctx s = {cx, r, errors};

	if (!strcmp(r->type, "AWS::EC2::SecurityGroupIngress"))
		ingress_rule(r->props, &s);
	else
		pr_items(r->props, "SecurityGroupIngress", ingress_rule, &s);
}

static void check_admin_ports(struct policy_ctx *cx, const struct template_resource *r)
{
	each_ingress(cx, r, true);
}

static void check_open_ports(struct policy_ctx *cx, const struct template_resource *r)
{
	each_ingress(cx, r, false);
}

static void egress_rule(const struct tval *rule, void *arg)
{
	struct sg_ctx *s = arg;
	const char *cidr = open_cidr(rule);

	if (cidr && all_protocols(rule))
		policy_flag(s->cx, s->r, rule_pos(rule, s->r),
			    "%s '%s' allows all outbound traffic to %s; list the destinations and "
			    "ports it needs",
			    noun(s->r), s->r->id, cidr);
}

static void check_egress(struct policy_ctx *cx, const struct template_resource *r)
{
	struct sg_ctx s = {cx, r, false};

	if (!strcmp(r->type, "AWS::EC2::SecurityGroupEgress")) {
		egress_rule(r->props, &s);
		return;
	}
	if (pr_any(r->props, "SecurityGroupEgress", pr_missing, NULL) &&
	    !pr_referred(cx, "AWS::EC2::SecurityGroupEgress", "GroupId", r->id)) {
		policy_flag(cx, r, NULL,
			    "security group '%s' has no egress rules, so it allows all outbound "
			    "traffic; set SecurityGroupEgress",
			    r->id);
		return;
	}
	pr_items(r->props, "SecurityGroupEgress", egress_rule, &s);
}

static void check_subnet(struct policy_ctx *cx, const struct template_resource *r)
{
	const struct tval *hit;

	if (pr_any(r->props, "MapPublicIpOnLaunch", pr_is_true, &hit))
		policy_flag(cx, r, pr_pos(hit, r),
			    "subnet '%s' gives every instance a public IP address; set "
			    "MapPublicIpOnLaunch: false and assign public addresses explicitly",
			    r->id);
}

/* ----- EC2-005: credentials in user data ----- */

/*
 * User data is often base64 already (a literal the author encoded, or
 * Fn::Base64 of text, which the model keeps as text): decode what looks
 * like base64 and search both.
 */
static bool password_assignment(const char *s, size_t len);

static bool decoded_credential(const struct tval *v, const char **what)
{
	struct buf b;
	bool found = false;

	if (v->len < 16 || v->len % 4)
		return false;
	for (size_t i = 0; i < v->len; i++)
		if (!isalnum((unsigned char)v->text[i]) && !strchr("+/=", v->text[i]))
			return false;
	buf_init(&b, TEMPLATE_MAX_BYTES);
	if (!b64_decode(&b, v->text, v->len))
		found = pr_credential_in(b.ptr, b.len, what) ||
			(password_assignment(b.ptr, b.len) && (*what = "a password", true));
	buf_release(&b);
	return found;
}

/* "PASSWORD=value", "password: value": an assignment of a literal password. */
static bool password_assignment(const char *s, size_t len)
{
	static const char *const names[] = {"password", "passwd", "secret_key", "api_key"};

	for (size_t n = 0; n < ARRAY_SIZE(names); n++) {
		size_t nl = strlen(names[n]);

		for (const char *p = s; p && p + nl < s + len;) {
			const char *q;

			p = strcasestr(p, names[n]);
			if (!p || p + nl >= s + len)
				break;
			q = p + nl;
			while (q < s + len && (*q == ' ' || *q == '"' || *q == '\''))
				q++;
			if (q < s + len && (*q == '=' || *q == ':')) {
				q++;
				while (q < s + len && (*q == ' ' || *q == '"' || *q == '\''))
					q++;
				if (q < s + len && *q != '$' && *q != '`' &&
				    !isspace((unsigned char)*q))
					return true;
			}
			p += nl;
		}
	}
	return false;
}

struct ud_walk {
	struct policy_ctx *cx;
	const struct template_resource *r;
	bool done;
};

static void ud_value(struct ud_walk *w, const struct tval *v, int depth)
{
	const char *what = NULL;

	if (!v || w->done || depth > TEMPLATE_MAX_DEPTH)
		return;
	if (v->kind == TVAL_SEQ || v->kind == TVAL_CHOICE || v->kind == TVAL_MAP) {
		for (size_t i = 0; i < v->n; i++)
			ud_value(w, v->kind == TVAL_MAP ? v->pairs[i].val : v->items[i], depth + 1);
		return;
	}
	if (v->kind != TVAL_STRING || (v->flags & TVAL_F_DYNREF))
		return;
	if (!pr_credential_in(v->text, v->len, &what) && !decoded_credential(v, &what)) {
		if (!password_assignment(v->text, v->len))
			return;
		what = "a password";
	}
	w->done = true;
	policy_flag_as(w->cx, w->r, pr_pos(v, w->r),
		       strcmp(w->r->type, "AWS::EC2::Instance") ? "" : "CKV_AWS_46", NULL,
		       "%s '%s' has %s in its user data, readable by anyone who can describe "
		       "it; fetch secrets at boot from Secrets Manager or SSM with the "
		       "instance's role",
		       strstr(w->r->type, "Launch") ? "launch template" : "instance", w->r->id,
		       what);
}

static void check_user_data(struct policy_ctx *cx, const struct template_resource *r)
{
	static const char *const paths[] = {"UserData", "LaunchTemplateData.UserData"};
	struct ud_walk w = {cx, r, false};

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		ud_value(&w, tval_get_path(r->props, paths[i]), 0);
}

/* ----- EC2-006: rules without a description ----- */

struct desc_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
};

static void desc_rule(const struct tval *rule, void *arg)
{
	struct desc_ctx *d = arg;

	if (!pr_any(rule, "Description", pr_missing, NULL))
		return;
	if (rule == d->r->props)
		policy_flag(d->cx, d->r, NULL,
			    "%s '%s' has no Description; say what it lets in or out", noun(d->r),
			    d->r->id);
	else
		policy_flag(d->cx, d->r, rule_pos(rule, d->r),
			    "%s '%s' has a rule without a Description; say what it lets in or out",
			    noun(d->r), d->r->id);
}

static void check_descriptions(struct policy_ctx *cx, const struct template_resource *r)
{
	struct desc_ctx d = {cx, r};

	if (strcmp(r->type, "AWS::EC2::SecurityGroup")) {
		desc_rule(r->props, &d);
		return;
	}
	pr_items(r->props, "SecurityGroupIngress", desc_rule, &d);
	pr_items(r->props, "SecurityGroupEgress", desc_rule, &d);
}

/* ----- EC2-007: instances with a public address ----- */

struct nic_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
};

static void nic(const struct tval *item, void *arg)
{
	struct nic_ctx *n = arg;
	const struct tval *hit;

	if (pr_any(item, "AssociatePublicIpAddress", pr_is_true, &hit))
		policy_flag(n->cx, n->r, pr_pos(hit, n->r),
			    "%s '%s' gives its network interface a public IP address; set "
			    "AssociatePublicIpAddress: false and reach it through a load balancer "
			    "or Session Manager",
			    strstr(n->r->type, "Launch") ? "launch template" : "instance",
			    n->r->id);
}

static void check_public_ip(struct policy_ctx *cx, const struct template_resource *r)
{
	struct nic_ctx n = {cx, r};

	pr_items(r->props, "NetworkInterfaces", nic, &n);
	pr_items(r->props, "LaunchTemplateData.NetworkInterfaces", nic, &n);
}

/* ----- EC2-008: IMDSv1 ----- */

static void check_imds(struct policy_ctx *cx, const struct template_resource *r)
{
	const char *base = strcmp(r->type, "AWS::EC2::LaunchTemplate")
				   ? "MetadataOptions"
				   : "LaunchTemplateData.MetadataOptions";
	const struct tval *opts = tval_get_path(r->props, base);

	if (tval_str_eq(tval_get(opts, "HttpEndpoint"), "disabled") ||
	    tval_str_eq(tval_get(opts, "HttpTokens"), "required"))
		return;
	if (opts && (tval_get(opts, "HttpTokens") || tval_get(opts, "HttpEndpoint")) &&
	    !tval_str(tval_get(opts, "HttpTokens")) && !tval_str(tval_get(opts, "HttpEndpoint")))
		return; /* decided at deploy time */
	policy_flag_as(cx, r, opts ? pr_pos(opts, r) : NULL,
		       strcmp(r->type, "AWS::EC2::LaunchTemplate") ? "" : "CKV_AWS_79", NULL,
		       "%s '%s' answers IMDSv1 requests, which SSRF bugs can use to steal its "
		       "role's credentials; set MetadataOptions HttpTokens: required",
		       strstr(r->type, "Launch") ? "launch template" : "instance", r->id);
}

/* ----- EC2-009: unencrypted EBS ----- */

struct bdm_ctx {
	struct policy_ctx *cx;
	const struct template_resource *r;
	const char *ids;
};

static void bdm(const struct tval *item, void *arg)
{
	struct bdm_ctx *b = arg;
	const struct tval *ebs = tval_get(item, "Ebs");
	const struct tval *hit;

	if (!ebs || tval_get(item, "VirtualName"))
		return;
	if (pr_any(ebs, "Encrypted", pr_not_true, &hit))
		policy_flag_as(b->cx, b->r, pr_pos(hit ? hit : ebs, b->r), b->ids, NULL,
			       "%s '%s' creates unencrypted EBS volumes; set Ebs Encrypted: true",
			       strstr(b->r->type, "Launch") ? "launch configuration" : "instance",
			       b->r->id);
}

static void check_ebs(struct policy_ctx *cx, const struct template_resource *r)
{
	struct bdm_ctx b = {cx, r, ""};
	const struct tval *hit;

	if (!strcmp(r->type, "AWS::EC2::Volume")) {
		if (pr_any(r->props, "Encrypted", pr_not_true, &hit))
			policy_flag_as(cx, r, hit ? pr_pos(hit, r) : NULL, "CKV_AWS_3", "F1",
				       "volume '%s' is not encrypted; set Encrypted: true", r->id);
		return;
	}
	if (!strcmp(r->type, "AWS::AutoScaling::LaunchConfiguration")) {
		b.ids = "CKV_AWS_8";
		pr_items(r->props, "BlockDeviceMappings", bdm, &b);
		return;
	}
	pr_items(r->props, "LaunchTemplateData.BlockDeviceMappings", bdm, &b);
	pr_items(r->props, "BlockDeviceMappings", bdm, &b);
}

/* ----- EC2-010: VPC flow logs ----- */

static void check_flow_logs(struct policy_ctx *cx, const struct template_resource *r)
{
	if (pr_referred(cx, "AWS::EC2::FlowLog", "ResourceId", r->id))
		return;
	policy_flag(cx, r, NULL,
		    "VPC '%s' has no flow log; add an AWS::EC2::FlowLog with ResourceId "
		    "!Ref %s and ResourceType VPC",
		    r->id, r->id);
}

static const char *const instance_types[] = {
	"AWS::EC2::Instance",
	"AWS::EC2::LaunchTemplate",
	"AWS::AutoScaling::LaunchConfiguration",
	NULL,
};
static const char *const sg_all_types[] = {
	"AWS::EC2::SecurityGroup",
	"AWS::EC2::SecurityGroupIngress",
	"AWS::EC2::SecurityGroupEgress",
	NULL,
};
static const char *const nic_types[] = {"AWS::EC2::Instance", "AWS::EC2::LaunchTemplate", NULL};
static const char *const ebs_types[] = {
	"AWS::EC2::Volume",
	"AWS::EC2::Instance",
	"AWS::EC2::LaunchTemplate",
	"AWS::AutoScaling::LaunchConfiguration",
	NULL,
};
static const char *const vpc_types[] = {"AWS::EC2::VPC", NULL};
static const char *const endpoint_service_types[] = {"AWS::EC2::VPCEndpointService", NULL};

static const struct pr_spec endpoint_acceptance = {
	.path = "AcceptanceRequired",
	.want = PR_WANT_TRUE,
	.noun = "endpoint service",
	.problem = "accepts every connection request automatically",
	.fix = "set AcceptanceRequired: true",
};

const struct policy_rule policy_rules_ec2[] = {
	{
		.id = "EC2-001",
		.service = "EC2",
		.severity = POLICY_ERROR,
		.title = "Admin or database port open to the internet",
		.why = "SSH, RDP and database ports open to 0.0.0.0/0 or ::/0 are scanned "
		       "within minutes and attacked with stolen and guessed credentials.",
		.fix = "Limit the source to known ranges or security groups; reach hosts "
		       "through Session Manager and databases from inside the VPC.",
		.cfn_nag = "W2,W9",
		.checkov = "CKV_AWS_24,CKV_AWS_25,CKV_AWS_260",
		.guard = "INCOMING_SSH_DISABLED,RESTRICTED_INCOMING_TRAFFIC",
		.types = ingress_types,
		.check = check_admin_ports,
	},
	{
		.id = "EC2-002",
		.service = "EC2",
		.severity = POLICY_WARNING,
		.title = "Port open to the internet",
		.why = "A port open to the whole internet is reachable by anyone; that is "
		       "right for a public load balancer and wrong almost everywhere else.",
		.fix = "Restrict the source, or suppress with the reason the port is public.",
		.cfn_nag = "W2,W9",
		.checkov = "CKV_AWS_260",
		.types = ingress_types,
		.check = check_open_ports,
	},
	{
		.id = "EC2-003",
		.service = "EC2",
		.severity = POLICY_WARNING,
		.title = "Unrestricted egress",
		.why = "Allowing all outbound traffic makes exfiltration and command-and-"
		       "control traffic from a compromised host easy.",
		.fix = "Set SecurityGroupEgress with the destinations and ports needed.",
		.cfn_nag = "W5,F1000",
		.types = egress_types,
		.check = check_egress,
	},
	{
		.id = "EC2-004",
		.service = "EC2",
		.severity = POLICY_ERROR,
		.title = "Subnet assigning public IP addresses",
		.why = "Every instance launched in the subnet gets a public address, whether "
		       "or not it was meant to be reachable.",
		.fix = "Set MapPublicIpOnLaunch: false; give public addresses to the few "
		       "resources that need them.",
		.cfn_nag = "W33",
		.checkov = "CKV_AWS_130",
		.guard = "SUBNET_AUTO_ASSIGN_PUBLIC_IP_DISABLED",
		.types = subnet_types,
		.check = check_subnet,
	},
	{
		.id = "EC2-005",
		.service = "EC2",
		.severity = POLICY_ERROR,
		.title = "Credentials in instance user data",
		.why = "User data is readable by anyone allowed ec2:DescribeInstanceAttribute "
		       "and from inside the instance by any process, and it stays in the "
		       "template. Base64-encoded user data is decoded and searched too. "
		       "Stricter than checkov: a literal password assignment is flagged as "
		       "well as key patterns.",
		.fix = "Fetch secrets at boot from Secrets Manager or SSM Parameter Store "
		       "with the instance's role.",
		.checkov = "CKV_AWS_46",
		.stricter = true,
		.types = instance_types,
		.check = check_user_data,
	},
	{
		.id = "EC2-006",
		.service = "EC2",
		.severity = POLICY_WARNING,
		.title = "Security group rule without a description",
		.why = "A rule without a description cannot be reviewed: nobody can tell "
		       "whether the source it opens to is still needed.",
		.fix = "Set Description on every SecurityGroupIngress and SecurityGroupEgress "
		       "rule.",
		.checkov = "CKV_AWS_23",
		.types = sg_all_types,
		.check = check_descriptions,
	},
	{
		.id = "EC2-007",
		.service = "EC2",
		.severity = POLICY_ERROR,
		.title = "Instance with a public IP address",
		.why = "A public address makes the instance reachable from the internet "
		       "wherever its security groups allow, and bypasses load balancers and "
		       "their protections.",
		.fix = "Set AssociatePublicIpAddress: false on the network interfaces.",
		.checkov = "CKV_AWS_88",
		.guard = "EC2_INSTANCE_NO_PUBLIC_IP",
		.types = nic_types,
		.check = check_public_ip,
	},
	{
		.id = "EC2-008",
		.service = "EC2",
		.severity = POLICY_ERROR,
		.title = "Instance metadata reachable with IMDSv1",
		.why = "IMDSv1 answers plain GET requests, so a server-side request forgery "
		       "in any application on the instance can read the role's credentials.",
		.fix = "Set MetadataOptions HttpTokens: required (IMDSv2).",
		.checkov = "CKV_AWS_79",
		.guard = "EC2_IMDSV2_CHECK",
		.types = nic_types,
		.check = check_imds,
	},
	{
		.id = "EC2-009",
		.service = "EC2",
		.severity = POLICY_ERROR,
		.title = "Unencrypted EBS volume",
		.why = "Unencrypted volumes expose data in snapshots, which are easily "
		       "copied and shared, and encryption cannot be added in place.",
		.fix = "Set Encrypted: true on AWS::EC2::Volume and on every Ebs block "
		       "device mapping (or turn on EBS encryption by default in the account).",
		.cfn_nag = "F1",
		.checkov = "CKV_AWS_3,CKV_AWS_8",
		.guard = "ENCRYPTED_VOLUMES",
		.types = ebs_types,
		.check = check_ebs,
	},
	{
		.id = "EC2-010",
		.service = "EC2",
		.severity = POLICY_WARNING,
		.title = "VPC without flow logs",
		.why = "Flow logs are the only record of which addresses talked to which "
		       "inside the VPC; without them an intrusion cannot be traced.",
		.fix = "Add an AWS::EC2::FlowLog with ResourceType VPC and ResourceId "
		       "!Ref the VPC.",
		.guard = "VPC_FLOW_LOGS_ENABLED",
		.types = vpc_types,
		.check = check_flow_logs,
	},
	{
		.id = "EC2-011",
		.service = "EC2",
		.severity = POLICY_WARNING,
		.title = "VPC endpoint service accepting connections automatically",
		.why = "Without manual acceptance any account the service's permissions "
		       "allow can connect its VPC to yours.",
		.fix = "Set AcceptanceRequired: true.",
		.checkov = "CKV_AWS_123",
		.types = endpoint_service_types,
		.check = pr_check_spec,
		.spec = &endpoint_acceptance,
	},
	{0},
};
