/*
 * Rules for EC2 networking: security group rules open to the internet
 * (0.0.0.0/0 or ::/0), written inline in AWS::EC2::SecurityGroup or as
 * separate SecurityGroupIngress/Egress resources; unrestricted egress; and
 * subnets that give every instance a public address.
 *
 * Admin and database ports open to the internet are errors (EC2-001); any
 * other port open to it is a warning (EC2-002), since a public load
 * balancer's 443 is normal.
 */
#include "core/common.h"

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
	if (tval_str_eq(tval_get(rule, "CidrIp"), "0.0.0.0/0"))
		return "0.0.0.0/0";
	if (tval_str_eq(tval_get(rule, "CidrIpv6"), "::/0"))
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

static void ingress_rule(const struct tval *rule, void *arg)
{
	struct sg_ctx *s = arg;
	const char *cidr = open_cidr(rule);
	long long lo, hi;
	char ports[160] = "";
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
	if (s->errors && hits && lo == 0 && hi == 65535)
		policy_flag(s->cx, s->r, rule_pos(rule, s->r),
			    "%s '%s' opens every port, SSH and database ports included, to %s; "
			    "allow only the ports and address ranges needed",
			    noun(s->r), s->r->id, cidr);
	else if (s->errors && hits)
		policy_flag(s->cx, s->r, rule_pos(rule, s->r),
			    "%s '%s' opens %s %s to %s; allow only known address ranges or use "
			    "Session Manager",
			    noun(s->r), s->r->id, hits > 1 ? "ports" : "port", ports, cidr);
	if (!s->errors && !hits) {
		if (lo == hi)
			snprintf(ports, sizeof(ports), "port %lld", lo);
		else
			snprintf(ports, sizeof(ports), "ports %lld-%lld", lo, hi);
		policy_flag(s->cx, s->r, rule_pos(rule, s->r),
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

/* True when a separate SecurityGroupEgress resource belongs to group `id`. */
static bool has_egress_resource(const struct template *t, const char *id)
{
	for (size_t i = 0; i < t->nres; i++)
		if (!strcmp(t->res[i].type, "AWS::EC2::SecurityGroupEgress") &&
		    pr_refers_to(tval_get(t->res[i].props, "GroupId"), id))
			return true;
	return false;
}

static void check_egress(struct policy_ctx *cx, const struct template_resource *r)
{
	struct sg_ctx s = {cx, r, false};

	if (!strcmp(r->type, "AWS::EC2::SecurityGroupEgress")) {
		egress_rule(r->props, &s);
		return;
	}
	if (pr_any(r->props, "SecurityGroupEgress", pr_missing, NULL) &&
	    !has_egress_resource(cx->t, r->id)) {
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
		.checkov = "CKV_AWS_24,CKV_AWS_25",
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
	{0},
};
