"""Writes cases.json: (policies, request) pairs for the differential test of the emulator's IAM evaluator."""
import json
A="111122223333"
CL=f"arn:aws:eks:eu-west-1:{A}:cluster/prod"
SSO=f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0123456789abcdef"
ADM=f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_Read_0123456789abcdef"
NODE=f"arn:aws:iam::{A}:role/node-role"
def entry(name, cluster="prod"): return f"arn:aws:eks:eu-west-1:{A}:access-entry/{cluster}/role/{A}/{name}/6ec3c3a4-0d32-4fd4-9d8a-1f6b0e5b0c11"
E_SSO=entry("AWSReservedSSO_Dev_0123456789abcdef"); E_NODE=entry("node-role"); E_ADM=entry("AWSReservedSSO_Admin_Read_0123456789abcdef")
VIEW="arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"; CADM="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
def st(effect, action, resource="*", cond=None, not_action=False, not_resource=False):
    s={"Effect":effect, ("NotAction" if not_action else "Action"):action, ("NotResource" if not_resource else "Resource"):resource}
    if cond: s["Condition"]=cond
    return s
def pol(*sts): return {"Version":"2012-10-17","Statement":list(sts)}
def req(action, resource, **ctx): return {"action":action,"resource":resource,"context":ctx}
cases=[]
def case(name, policies, request): cases.append({"name":name,"policies":policies,"request":request})
create=lambda **c: req("eks:CreateAccessEntry", CL, **c)
delete=lambda res=E_SSO, **c: req("eks:DeleteAccessEntry", res, **c)
assoc=lambda res=E_SSO, **c: req("eks:AssociateAccessPolicy", res, **c)
# actions and resources
case("allow exact action", [pol(st("Allow","eks:DescribeCluster",CL))], req("eks:DescribeCluster",CL))
case("action wildcard case-insensitive", [pol(st("Allow","EKS:describe*","*"))], req("eks:DescribeCluster",CL))
case("action question mark", [pol(st("Allow","eks:DescribeClust?r","*"))], req("eks:DescribeCluster",CL))
case("other action implicit deny", [pol(st("Allow","eks:ListClusters","*"))], req("eks:DescribeCluster",CL))
case("no policies statement mismatch", [pol(st("Allow","iam:*","*"))], req("eks:ListClusters","*"))
case("NotAction allows others", [pol(st("Allow","eks:Delete*","*",not_action=True))], req("eks:DescribeCluster",CL))
case("NotAction excludes listed", [pol(st("Allow","eks:Delete*","*",not_action=True))], delete())
case("resource wildcard in region", [pol(st("Allow","eks:DescribeCluster",f"arn:aws:eks:*:{A}:cluster/*"))], req("eks:DescribeCluster",CL))
case("resource other account", [pol(st("Allow","eks:DescribeCluster","arn:aws:eks:*:999999999999:cluster/*"))], req("eks:DescribeCluster",CL))
case("resource case-sensitive", [pol(st("Allow","eks:DescribeCluster",f"arn:aws:eks:*:{A}:cluster/PROD"))], req("eks:DescribeCluster",CL))
case("resource question mark", [pol(st("Allow","eks:DescribeCluster",f"arn:aws:eks:eu-west-?:{A}:cluster/pro?"))], req("eks:DescribeCluster",CL))
case("SSO entry pattern matches", [pol(st("Allow","eks:DeleteAccessEntry",f"arn:aws:eks:*:{A}:access-entry/*/role/{A}/AWSReservedSSO_*/*"))], delete())
case("SSO entry pattern refuses node entry", [pol(st("Allow","eks:DeleteAccessEntry",f"arn:aws:eks:*:{A}:access-entry/*/role/{A}/AWSReservedSSO_*/*"))], delete(E_NODE))
case("anchored suffix pattern refuses Admin_Read", [pol(st("Allow","eks:AssociateAccessPolicy",f"arn:aws:eks:*:{A}:access-entry/*/role/{A}/AWSReservedSSO_Admin_????????????????/*"))], assoc(E_ADM))
case("NotResource allows others", [pol(st("Allow","eks:DeleteAccessEntry",f"arn:aws:eks:*:{A}:access-entry/*/role/{A}/node-role/*",not_resource=True))], delete())
case("NotResource excludes listed", [pol(st("Allow","eks:DeleteAccessEntry",f"arn:aws:eks:*:{A}:access-entry/*/role/{A}/node-role/*",not_resource=True))], delete(E_NODE))
case("explicit deny beats allow", [pol(st("Allow","eks:*","*")), pol(st("Deny","eks:DeleteAccessEntry",E_NODE))], delete(E_NODE))
case("deny elsewhere leaves allow", [pol(st("Allow","eks:*","*"), st("Deny","eks:DeleteAccessEntry",E_NODE))], delete())
case("variable in resource part", [pol(st("Allow","eks:DescribeCluster","arn:aws:eks:*:*:cluster/${aws:PrincipalTag/cluster}"))], req("eks:DescribeCluster",CL,**{"aws:PrincipalTag/cluster":"prod"}))
case("variable in resource part missing", [pol(st("Allow","eks:DescribeCluster","arn:aws:eks:*:*:cluster/${aws:PrincipalTag/cluster}"))], req("eks:DescribeCluster",CL))
case("variable in condition value", [pol(st("Allow","eks:DescribeCluster","*",{"StringEquals":{"aws:ResourceTag/owner":"${aws:PrincipalAccount}"}}))], req("eks:DescribeCluster",CL,**{"aws:PrincipalAccount":A,"aws:ResourceTag/owner":A}))
case("variable in account segment is literal", [pol(st("Allow","eks:DescribeCluster","arn:aws:eks:*:${aws:PrincipalAccount}:cluster/*"))], req("eks:DescribeCluster",CL,**{"aws:PrincipalAccount":A}))
# string operators
tagged={"aws:ResourceTag/eks-sso-sync:managed":"true"}
case("StringEquals resource tag", [pol(st("Allow","eks:DeleteAccessEntry","*",{"StringEquals":{"aws:ResourceTag/eks-sso-sync:managed":"true"}}))], delete(**tagged))
case("StringEquals resource tag missing", [pol(st("Allow","eks:DeleteAccessEntry","*",{"StringEquals":{"aws:ResourceTag/eks-sso-sync:managed":"true"}}))], delete())
case("StringEquals case-sensitive value", [pol(st("Allow","eks:DeleteAccessEntry","*",{"StringEquals":{"aws:ResourceTag/eks-sso-sync:managed":"TRUE"}}))], delete(**tagged))
case("StringEquals list of values is OR", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringEquals":{"eks:accessEntryType":["EC2_LINUX","STANDARD"]}}))], create(**{"eks:accessEntryType":"STANDARD"}))
case("StringEquals key name case-insensitive", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringEquals":{"EKS:AccessEntryType":"STANDARD"}}))], create(**{"eks:accessEntryType":"STANDARD"}))
case("two keys are AND", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringEquals":{"eks:accessEntryType":"STANDARD","aws:RequestTag/eks-sso-sync:managed":"true"}}))], create(**{"eks:accessEntryType":"STANDARD"}))
case("StringNotEquals differs", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringNotEquals":{"eks:accessEntryType":"EC2_LINUX"}}))], create(**{"eks:accessEntryType":"STANDARD"}))
case("StringNotEquals equal", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringNotEquals":{"eks:accessEntryType":["EC2_LINUX","STANDARD"]}}))], create(**{"eks:accessEntryType":"STANDARD"}))
case("StringNotEquals missing key", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringNotEquals":{"eks:accessEntryType":"EC2_LINUX"}}))], create())
case("StringEqualsIgnoreCase", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringEqualsIgnoreCase":{"eks:accessEntryType":"standard"}}))], create(**{"eks:accessEntryType":"STANDARD"}))
case("StringNotEqualsIgnoreCase", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringNotEqualsIgnoreCase":{"eks:accessEntryType":"standard"}}))], create(**{"eks:accessEntryType":"STANDARD"}))
case("StringLike username", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringLike":{"eks:username":"sso:*{{SessionName}}"}}))], create(**{"eks:username":"sso:dev:{{SessionName}}"}))
case("StringLike no match", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringLike":{"eks:username":"sso:*"}}))], create(**{"eks:username":"admin"}))
case("StringLike question mark", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringLike":{"eks:username":"dev?"}}))], create(**{"eks:username":"dev1"}))
case("StringNotLike", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringNotLike":{"eks:username":"system:*"}}))], create(**{"eks:username":"dev"}))
case("StringNotLike matching", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringNotLike":{"eks:username":"system:*"}}))], create(**{"eks:username":"system:admin"}))
case("StringLikeIfExists missing", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringLikeIfExists":{"eks:username":"sso:*"}}))], create())
case("StringLikeIfExists present mismatch", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringLikeIfExists":{"eks:username":"sso:*"}}))], create(**{"eks:username":"x"}))
case("StringEquals on missing key without IfExists", [pol(st("Allow","eks:CreateAccessEntry","*",{"StringEquals":{"eks:username":"x"}}))], create())
case("deny StringNotEquals missing key", [pol(st("Allow","eks:*","*"), st("Deny","eks:CreateAccessEntry","*",{"StringNotEquals":{"eks:accessEntryType":"STANDARD"}}))], create())
case("deny StringNotEqualsIfExists missing key", [pol(st("Allow","eks:*","*"), st("Deny","eks:CreateAccessEntry","*",{"StringNotEqualsIfExists":{"eks:accessEntryType":"STANDARD"}}))], create())
# ARN operators
case("ArnLike principal", [pol(st("Allow","eks:CreateAccessEntry","*",{"ArnLike":{"eks:principalArn":f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/*"}}))], create(**{"eks:principalArn":SSO}))
case("ArnLike principal refuses node", [pol(st("Allow","eks:CreateAccessEntry","*",{"ArnLike":{"eks:principalArn":f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/*"}}))], create(**{"eks:principalArn":NODE}))
case("ArnEquals exact", [pol(st("Allow","eks:AssociateAccessPolicy","*",{"ArnEquals":{"eks:policyArn":VIEW}}))], assoc(**{"eks:policyArn":VIEW}))
case("ArnEquals wildcard", [pol(st("Allow","eks:AssociateAccessPolicy","*",{"ArnEquals":{"eks:policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKS*View*"}}))], assoc(**{"eks:policyArn":VIEW}))
case("ArnNotEquals", [pol(st("Allow","eks:AssociateAccessPolicy","*",{"ArnNotEquals":{"eks:policyArn":CADM}}))], assoc(**{"eks:policyArn":VIEW}))
case("ArnNotLike matching", [pol(st("Allow","eks:AssociateAccessPolicy","*",{"ArnNotLike":{"eks:policyArn":"arn:aws:eks::aws:cluster-access-policy/*Admin*"}}))], assoc(**{"eks:policyArn":CADM}))
case("deny ArnNotLike on other policy", [pol(st("Allow","eks:AssociateAccessPolicy","*"), st("Deny","eks:AssociateAccessPolicy","*",{"ArnNotLike":{"eks:policyArn":["arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy","arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"]}}))], assoc(**{"eks:policyArn":CADM}))
case("ArnLikeIfExists missing", [pol(st("Allow","eks:AssociateAccessPolicy","*",{"ArnLikeIfExists":{"eks:policyArn":VIEW}}))], assoc())
# set qualifiers
grp=lambda *g: {"eks:kubernetesGroups":list(g)}
case("ForAllValues all in list", [pol(st("Allow","eks:CreateAccessEntry","*",{"ForAllValues:StringEquals":{"eks:kubernetesGroups":["devs","viewers"]}}))], create(**grp("devs","viewers")))
case("ForAllValues one outside", [pol(st("Allow","eks:CreateAccessEntry","*",{"ForAllValues:StringEquals":{"eks:kubernetesGroups":["devs","viewers"]}}))], create(**grp("devs","system:masters")))
case("ForAllValues missing key", [pol(st("Allow","eks:CreateAccessEntry","*",{"ForAllValues:StringEquals":{"eks:kubernetesGroups":["devs"]}}))], create())
case("ForAllValues empty list", [pol(st("Allow","eks:CreateAccessEntry","*",{"ForAllValues:StringEquals":{"eks:kubernetesGroups":["devs"]}}))], create(**grp()))
case("ForAllValues StringLike", [pol(st("Allow","eks:AssociateAccessPolicy","*",{"ForAllValues:StringLike":{"eks:namespaces":["payments","payments-*"]}}))], assoc(**{"eks:namespaces":["payments","payments-eu"]}))
case("ForAllValues StringNotLike", [pol(st("Allow","eks:CreateAccessEntry","*",{"ForAllValues:StringNotLike":{"eks:kubernetesGroups":["system:*"]}}))], create(**grp("devs","ops")))
case("ForAllValues StringNotLike one privileged", [pol(st("Allow","eks:CreateAccessEntry","*",{"ForAllValues:StringNotLike":{"eks:kubernetesGroups":["system:*"]}}))], create(**grp("devs","system:masters")))
case("ForAnyValue one match", [pol(st("Allow","eks:CreateAccessEntry","*",{"ForAnyValue:StringEquals":{"eks:kubernetesGroups":["admins"]}}))], create(**grp("devs","admins")))
case("ForAnyValue none match", [pol(st("Allow","eks:CreateAccessEntry","*",{"ForAnyValue:StringEquals":{"eks:kubernetesGroups":["admins"]}}))], create(**grp("devs")))
case("ForAnyValue missing key", [pol(st("Allow","eks:CreateAccessEntry","*",{"ForAnyValue:StringEquals":{"eks:kubernetesGroups":["admins"]}}))], create())
case("deny ForAnyValue StringLike privileged", [pol(st("Allow","eks:*","*"), st("Deny","eks:CreateAccessEntry","*",{"ForAnyValue:StringLike":{"eks:kubernetesGroups":["system:*"]}}))], create(**grp("devs","system:masters")))
case("ForAnyValue StringNotEquals", [pol(st("Allow","eks:CreateAccessEntry","*",{"ForAnyValue:StringNotEquals":{"eks:kubernetesGroups":["devs"]}}))], create(**grp("devs","ops")))
case("ForAllValues TagKeys", [pol(st("Allow","eks:TagResource","*",{"ForAllValues:StringEquals":{"aws:TagKeys":["eks-sso-sync:managed","eks-sso-sync:role-id"]}}))], req("eks:TagResource",E_SSO,**{"aws:TagKeys":["eks-sso-sync:managed"],"aws:RequestTag/eks-sso-sync:managed":"true"}))
case("ForAllValues TagKeys foreign", [pol(st("Allow","eks:UntagResource","*",{"ForAllValues:StringEquals":{"aws:TagKeys":["eks-sso-sync:managed"]}}))], req("eks:UntagResource",E_SSO,**{"aws:TagKeys":["owner"]}))
case("ForAllValues StringLikeIfExists missing", [pol(st("Allow","eks:CreateAccessEntry","*",{"ForAllValues:StringLikeIfExists":{"eks:kubernetesGroups":["devs"]}}))], create())
# Null and Bool
case("Null true on missing", [pol(st("Allow","eks:CreateAccessEntry","*",{"Null":{"eks:username":"true"}}))], create())
case("Null true on present", [pol(st("Allow","eks:CreateAccessEntry","*",{"Null":{"eks:username":"true"}}))], create(**{"eks:username":"dev"}))
case("Null false on present", [pol(st("Allow","eks:CreateAccessEntry","*",{"Null":{"eks:username":"false"}}))], create(**{"eks:username":"dev"}))
case("Null false on missing", [pol(st("Allow","eks:CreateAccessEntry","*",{"Null":{"eks:username":"false"}}))], create())
case("deny Null missing managed tag", [pol(st("Allow","eks:*","*"), st("Deny","eks:DeleteAccessEntry","*",{"Null":{"aws:ResourceTag/eks-sso-sync:managed":"true"}}))], delete())
upd=lambda **c: req("eks:UpdateClusterConfig", CL, **c)
case("Bool true", [pol(st("Allow","eks:UpdateClusterConfig","*",{"Bool":{"eks:endpointPublicAccess":"true"}}))], upd(**{"eks:endpointPublicAccess":"true"}))
case("Bool false mismatch", [pol(st("Allow","eks:UpdateClusterConfig","*",{"Bool":{"eks:endpointPublicAccess":"false"}}))], upd(**{"eks:endpointPublicAccess":"true"}))
case("Bool missing", [pol(st("Allow","eks:UpdateClusterConfig","*",{"Bool":{"eks:endpointPublicAccess":"false"}}))], upd())
case("BoolIfExists missing", [pol(st("Allow","eks:UpdateClusterConfig","*",{"BoolIfExists":{"eks:endpointPublicAccess":"false"}}))], upd())
case("authenticationMode allowed", [pol(st("Allow","eks:UpdateClusterConfig","*",{"StringEquals":{"eks:authenticationMode":"API_AND_CONFIG_MAP"},"Null":{"eks:endpointPublicAccess":"true","eks:endpointPrivateAccess":"true"}}))], upd(**{"eks:authenticationMode":"API_AND_CONFIG_MAP"}))
case("authenticationMode API refused", [pol(st("Allow","eks:UpdateClusterConfig","*",{"StringEquals":{"eks:authenticationMode":"API_AND_CONFIG_MAP"}}))], upd(**{"eks:authenticationMode":"API"}))
case("endpoint change refused by Null", [pol(st("Allow","eks:UpdateClusterConfig","*",{"StringEquals":{"eks:authenticationMode":"API_AND_CONFIG_MAP"},"Null":{"eks:endpointPublicAccess":"true"}}))], upd(**{"eks:authenticationMode":"API_AND_CONFIG_MAP","eks:endpointPublicAccess":"true"}))
# other services
case("sqs send", [pol(st("Allow","sqs:SendMessage",f"arn:aws:sqs:*:{A}:eks-sso-sync-*"))], req("sqs:SendMessage",f"arn:aws:sqs:eu-west-1:{A}:eks-sso-sync-jobs.fifo"))
case("iam list roles", [pol(st("Allow",["iam:ListRoles","iam:GetRole"],"*"))], req("iam:ListRoles","*"))
# Same account: a cross-account AssumeRole also needs the target's trust policy, which the
# emulator does not model (the simulator denies it on the identity policy alone).
case("sts assume role in path", [pol(st("Allow","sts:AssumeRole","arn:aws:iam::*:role/eks-sso-sync/*"))], req("sts:AssumeRole",f"arn:aws:iam::{A}:role/eks-sso-sync/member"))
case("identitystore group", [pol(st("Allow","identitystore:GetGroupId","*"))], req("identitystore:GetGroupId",f"arn:aws:identitystore::{A}:identitystore/d-1234567890"))
import os
json.dump(cases, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.json"), "w"), indent=1)
print(len(cases))
