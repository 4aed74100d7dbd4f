"""The CIFAR-style ResNet-18 for scripts/torch2ntk.py (jobs/resnet18-cifar.yaml).

torchvision's resnet18(num_classes=10) with the stem adapted to 32 x 32
inputs as is usual: conv1 is 3x3, stride 1, padding 1, and there is no max
pooling (model.maxpool = nn.Identity()). resnet18_cifar(width) builds it with
base width `width` (torchvision's is 64; the four stages have width, 2 width,
4 width, 8 width channels) from torchvision's own ResNet and BasicBlock, so
the module tree and the parameter names are torchvision's.

The builders torch2ntk.py calls take no arguments: resnet18_cifar_w64 (11.2 M
parameters), resnet18_cifar_w16 (0.70 M), resnet18_cifar_w8 (0.18 M, the test
size). Each is seeded, so the exporter and a torch reference build the same
weights. Their BatchNorm layers hold the statistics of a freshly built torch
model (running mean 0, variance 1, weight 1, bias 0) unless
`trained_like=True`, which draws them at random as a stand-in for a trained
network (the tests use it, so that BatchNorm is not near the identity).
"""
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, ResNet


def resnet18_cifar(width=64, num_classes=10, seed=0, trained_like=False):
    torch.manual_seed(seed)
    model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes)
    if width != 64:
        # rebuild the stages at the base width, as ResNet.__init__ does at 64
        model.inplanes = width
        model.bn1 = nn.BatchNorm2d(width)
        model.layer1 = model._make_layer(BasicBlock, width, 2)
        model.layer2 = model._make_layer(BasicBlock, 2 * width, 2, stride=2)
        model.layer3 = model._make_layer(BasicBlock, 4 * width, 2, stride=2)
        model.layer4 = model._make_layer(BasicBlock, 8 * width, 2, stride=2)
        model.fc = nn.Linear(8 * width, num_classes)
    model.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    for m in model.modules():  # torchvision's initialisation
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            if trained_like:
                with torch.no_grad():
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0.0, 0.2)
                    m.running_mean.normal_(0.0, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
            else:
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
    return model


def resnet18_cifar_w64():
    return resnet18_cifar(64)


def resnet18_cifar_w16():
    return resnet18_cifar(16)


def resnet18_cifar_w8():
    return resnet18_cifar(8, trained_like=True)
